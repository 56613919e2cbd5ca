// Command-line values: strict parsers for commander, used by the option table (fit-options.ts) and
// the CLI's own flags. Each refuses what a typo makes of a value (empty list items, trailing commas,
// repeated items, '1.5' for an integer, '' for a number) with a usage error that names the flag.
import { InvalidArgumentError } from 'commander';
import { parseSeedList } from '../train/seeds.js';

const quoted = (v: string) => `'${v}'`;

/** An integer >= min, written as digits. */
export const intFlag = (flag: string, min: number) => (v: string) => {
  const n = /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`Expected an integer >= ${min} for ${flag} but received ${quoted(v)}`);
  return n;
};

/** A finite number > 0 (or >= 0 with orZero). */
export const numberFlag = (flag: string, { orZero = false } = {}) => (v: string) => {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < 0 || (!orZero && n === 0))
    throw new InvalidArgumentError(`Expected a ${orZero ? 'number >= 0' : 'positive number'} for ${flag} but received ${quoted(v)}`);
  return n;
};

/** Comma-separated items: none empty, none twice, each in `allowed` when given. */
export const listFlag = (flag: string, allowed?: readonly string[]) => (v: string) => {
  const items = v.split(',').map((x) => x.trim());
  if (items.some((x) => x === ''))
    throw new InvalidArgumentError(`Expected a comma-separated list without empty items for ${flag} but received ${quoted(v)}`);
  const twice = items.find((x, i) => items.indexOf(x) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(`Expected each item once in ${flag} but ${quoted(twice)} appears twice in ${quoted(v)}`);
  const bad = allowed && items.find((x) => !allowed.includes(x));
  if (bad !== undefined && allowed) throw new InvalidArgumentError(`Expected a list of ${allowed.join(', ')} for ${flag} but received ${quoted(bad)}`);
  return items;
};

/** Seeds: 'paper' or distinct non-negative integers. */
export const seedsFlag = (flag: string) => (v: string) => {
  try {
    return parseSeedList(v, flag);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/** Decoder widths: positive integers; '' is a linear decoder. */
export const hiddenFlag = (flag: string) => (v: string) => {
  if (v.trim() === '') return [];
  const items = v.split(',').map((x) => x.trim());
  if (items.some((x) => !/^\d+$/.test(x) || Number(x) < 1))
    throw new InvalidArgumentError(`Expected positive integers (or '' for none) for ${flag} but received ${quoted(v)}`);
  return items.map(Number);
};

/** One of a fixed set of words. */
export const choiceFlag = (flag: string, allowed: readonly string[]) => (v: string) => {
  if (!allowed.includes(v)) throw new InvalidArgumentError(`Expected ${allowed.map(quoted).join(' or ')} for ${flag} but received ${quoted(v)}`);
  return v;
};

/** K: one positive integer, or distinct ones separated by commas (a sweep). */
export const kListFlag = (flag: string) => (v: string) => {
  const items = listFlag(flag)(v);
  const bad = items.find((x) => !/^\d+$/.test(x) || Number(x) < 1);
  if (bad !== undefined) throw new InvalidArgumentError(`Expected positive integers for ${flag} but received '${bad}' in '${v}'`);
  return items.map(Number);
};

/** A memory size: bytes, or a number with K, M, G or T (powers of 1024; 'GiB', 'GB' and 'G' alike). */
export const bytesFlag = (flag: string) => (v: string) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(v);
  const n = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`Expected a memory size such as 8G, 512M or a number of bytes for ${flag} but received ${quoted(v)}`);
  return Math.floor(n);
};

/** The temperature schedule: 'start,end', two positive numbers. */
export const temperatureFlag = (flag: string) => (v: string) => {
  const items = v.split(',').map((x) => x.trim());
  const [start, end] = items.map((x) => (x === '' ? NaN : Number(x)));
  if (items.length !== 2 || !(start > 0 && Number.isFinite(start)) || !(end > 0 && Number.isFinite(end)))
    throw new InvalidArgumentError(`Expected two positive numbers 'start,end' (e.g. 10,0.01) for ${flag} but received ${quoted(v)}`);
  return { start, end };
};
