// The error type every layer of ipcae throws, with a stable `code`. It lives here, under the
// bindings (the lowest TypeScript layer, which reports a failed addon load with it); lib/errors.ts
// re-exports it with the helpers around it.

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
