// The helpers around ipcae's one error type (IpcaeError, defined in bindings/errors.ts, the lowest layer).

export { IpcaeError, type ErrorCode } from '../bindings/errors.js';
import { IpcaeError, type ErrorCode } from '../bindings/errors.js';

export function invalidArgument(what: string, expected: string, received: unknown): IpcaeError {
  return new IpcaeError('ERR_INVALID_ARGUMENT', `Expected ${expected} for ${what} but received ${describe(received)}`);
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  return `a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`;
}

/**
 * Awaits a native promise and, when it rejects, re-throws an IpcaeError whose stack is the caller's
 * (captured before the call) rather than an empty native one.
 */
export async function native<T>(call: () => Promise<T> | T): Promise<T> {
  const site = new Error();
  try {
    return await call();
  } catch (e) {
    throw fromNative(e, site);
  }
}

export function fromNative(e: unknown, site?: Error): Error {
  if (e instanceof IpcaeError) return e;
  const err = e as { code?: string; message?: string };
  const code = (typeof err?.code === 'string' ? err.code : 'ERR_INTERNAL') as ErrorCode;
  const out = new IpcaeError(code, err?.message ?? String(e), { cause: e });
  for (const [k, v] of Object.entries(e as object)) {
    if (k !== 'code' && k !== 'message' && k !== 'stack') (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (site?.stack) out.stack = `${out.name} [${code}]: ${out.message}\n${site.stack.split('\n').slice(1).join('\n')}`;
  return out;
}
