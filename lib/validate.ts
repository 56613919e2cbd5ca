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

/** Levenshtein distance (small strings: option names). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The known name closest to `word`, if it is close enough to be a typo of it. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dd = distance(word, k);
    if (dd < bestD) [best, bestD] = [k, dd];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** The keys of the object schema at `path` inside `schema` (through defaults, optionals and arrays). */
function keysAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] | undefined {
  type Node = { def?: { type?: string; innerType?: Node; in?: Node; element?: Node; shape?: Record<string, Node> }; shape?: Record<string, Node> };
  const unwrap = (n: Node | undefined): Node | undefined => {
    while (n?.def && ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'pipe'].includes(n.def.type ?? ''))
      n = n.def.innerType ?? n.def.in;
    return n;
  };
  let n = unwrap(schema as unknown as Node);
  for (const p of path) {
    if (n?.def?.type === 'object') n = unwrap(n.shape?.[String(p)]);
    else if (n?.def?.type === 'array') n = unwrap(n.def.element);
    else return undefined;
  }
  return n?.def?.type === 'object' && n.shape ? Object.keys(n.shape) : undefined;
}

export function formatIssue(issue: z.core.$ZodIssue, input: unknown, prefix = '', schema?: z.ZodType): string {
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
    case 'unrecognized_keys': {
      const known = keysAt(schema, issue.path);
      const keys = (i.keys as string[]).map((k) => {
        const near = known && closest(k, known);
        return `'${k}'${near ? ` (did you mean '${near}'?)` : ''}`;
      });
      const inWhere = where === '(root)' ? 'the config' : where;
      return `Unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')} in ${inWhere}${known ? `; known keys: ${known.join(', ')}` : ''}`;
    }
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
  const lines = r.error.issues.map((is) => formatIssue(is, input, prefix, schema));
  throw new IpcaeError('ERR_INVALID_ARGUMENT', lines.join('; '));
}
