// One error type with a stable `code` for everything ipcae rejects or throws.

export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_DEVICE'
  | 'ERR_OUT_OF_MEMORY'
  | 'ERR_CANCELLED'
  | 'ERR_TORCH'
  | 'ERR_BUSY'
  | 'ERR_DISPOSED'
  | 'ERR_NATIVE_LOAD'
  | 'ERR_INTERNAL'
  | 'ERR_DATA'
  /** A replica's loss became non-finite: its result is not a result (the others are kept). */
  | 'ERR_DIVERGED'
  /** An output path cannot be written (or is locked by another run). */
  | 'ERR_OUTPUT'
  /** A run's estimated peak memory exceeds the memory available (or --memory-limit): refused before training. */
  | 'ERR_MEMORY_BUDGET';

// A brand shared by every copy of this module in a process (the ESM build, the CommonJS bundle, two
// installed versions): `instanceof IpcaeError` holds for an error from any of them.
const BRAND = Symbol.for('ipcae.IpcaeError');

export class IpcaeError extends Error {
  readonly code: ErrorCode;
  /** Set where trying again can succeed (a network transfer cut short). */
  retryable?: boolean;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IpcaeError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
  }
}

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
