// Seeds: the one definition of a valid seed list (used by the trainer's options, experiment
// configs and every command-line flag that takes seeds) and the paper's ten seeds.
import { z } from 'zod';
import { IpcaeError, describe } from '../errors.js';

export const PAPER_SEEDS = [11, 22, 33, 44, 55, 66, 77, 88, 99, 1010];

export const seedSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** One or more distinct seeds (each seed is one replica of the group). */
export const seedListSchema = z
  .array(seedSchema)
  .min(1)
  .refine((v) => new Set(v).size === v.length, { message: 'Expected distinct seeds' });

/**
 * A seed list as typed on a command line: 'paper' or comma-separated non-negative integers.
 * Empty items ('11,,22', '11,') are refused, never read as seed 0.
 */
export function parseSeedList(text: string, flag = '--seeds'): number[] {
  const fail = (why: string) =>
    new IpcaeError('ERR_INVALID_ARGUMENT', `Expected a comma-separated list of distinct non-negative integers or 'paper' for ${flag} but received ${describe(text)}${why}`);
  if (text.trim() === 'paper') return [...PAPER_SEEDS];
  const items = text.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw fail(' (an empty item)');
  const seeds = items.map((x) => (/^\d+$/.test(x) ? Number(x) : NaN));
  const bad = items.find((x, i) => !seedSchema.safeParse(seeds[i]).success);
  if (bad !== undefined) throw fail(` ('${bad}' is not a seed)`);
  if (new Set(seeds).size !== seeds.length) throw fail(' (a seed appears twice)');
  return seeds;
}
