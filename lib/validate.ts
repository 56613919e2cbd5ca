// zod issues → one message style for every validation error in ipcae:
//   "Expected <what> for <where> but received <value>"
import type { z } from 'zod';
import { IpcaeError, describe } from './errors.js';

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const p of path) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  let s = prefix;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(root)';
}

export function formatIssue(issue: z.core.$ZodIssue, input: unknown, prefix = ''): string {
  const where = joinPath(prefix, issue.path);
  const received = describe(at(input, issue.path));
  const i = issue as unknown as Record<string, unknown>;
  switch (issue.code) {
    case 'invalid_type':
      return `Expected ${i.expected === 'int' ? 'an integer' : `a ${String(i.expected)}`} for ${where} but received ${received}`;
    case 'invalid_value':
      return `Expected one of ${(i.values as unknown[]).map((v) => describe(v)).join(', ')} for ${where} but received ${received}`;
    case 'too_small':
      return `Expected ${i.origin === 'array' ? 'an array of length' : 'a number'} ${i.inclusive ? '>=' : '>'} ${String(i.minimum)} for ${where} but received ${received}`;
    case 'too_big':
      return `Expected ${i.origin === 'array' ? 'an array of length' : 'a number'} ${i.inclusive ? '<=' : '<'} ${String(i.maximum)} for ${where} but received ${received}`;
    case 'unrecognized_keys':
      return `Unknown key${(i.keys as string[]).length > 1 ? 's' : ''} ${(i.keys as string[]).map((k) => `'${k}'`).join(', ')} in ${where}`;
    case 'invalid_format':
      // a regex with its own description (e.g. device) says what it expects; others name the format
      return `Expected ${i.format === 'regex' && !/^Invalid/.test(issue.message) ? issue.message : String(i.format)} for ${where} but received ${received}`;
    case 'custom': {
      const v = at(input, issue.path);
      const shown = Array.isArray(v) && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : received;
      return `${issue.message} for ${where} but received ${shown}`;
    }
    default:
      return `${issue.message} for ${where} (received ${received})`;
  }
}

/** Parses `input` with `schema`, or throws ERR_INVALID_ARGUMENT listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((is) => formatIssue(is, input, prefix));
  throw new IpcaeError('ERR_INVALID_ARGUMENT', lines.join('; '));
}
