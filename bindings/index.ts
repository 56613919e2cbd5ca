// Loads the native addon (build/Release/ipcae.node) with node-gyp-build and types its surface.
// A failed load becomes advice: what is missing and how to get it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface NativeCapabilities {
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudaDevices: string[];
  blas: string;
  blasLibrary: string;
  threads: number;
  hardwareThreads: number;
  parallelInfo: string;
  /** The variant of ipcae's CPU kernels in use (IPCAE_ISA forces one). */
  isa: 'baseline' | 'avx2' | 'avx512' | 'native';
  /** The best variant this CPU supports. */
  supportedIsa: 'baseline' | 'avx2' | 'avx512';
}

/**
 * The trainer's options as the addon takes them: every key of lib/train/options.ts (the one
 * definition, validated and defaulted there) and no other; `trainerOptionKeys` lists them.
 */
export type NativeTrainerOptions = Readonly<Record<string, string | number | boolean | readonly number[]>>;

export interface NativeSplit {
  x: Float32Array;
  rows: number;
  y?: Int32Array | Float32Array;
}

export interface NativeReplicaEpoch {
  trainLoss: number;
  valLoss: number;
  valMetric: number;
  uniquePct: number;
  gjsd: number;
  meanMaxProb: number;
  improved: boolean;
  /** The replica's loss has been non-finite (this epoch or before): it is stopped, its metrics are not results. */
  diverged: boolean;
}

export interface NativeEpochReport {
  epoch: number;
  temperature: number;
  seconds: number;
  replicas: NativeReplicaEpoch[];
}

export interface NativeTrainerInfo {
  epoch: number;
  step: number;
  replicas: number;
  device: string;
  hasData: boolean;
  busy: boolean;
  bestEpoch: number[];
  bestValLoss: number[];
  /** Per replica: the epoch at which its loss became non-finite, or -1. */
  divergedEpoch: number[];
}

export interface NativeTrainer {
  setData(train: NativeSplit, val: NativeSplit, test: NativeSplit): Promise<void>;
  train(temperatures: number[], onEpoch?: (r: NativeEpochReport) => void): Promise<number>;
  cancel(): void;
  evaluate(split: 'train' | 'val' | 'test', best: boolean): Promise<{ loss: number[]; metric: number[] }>;
  selection(best: boolean): Promise<{ indices: Int32Array; probabilities: Float32Array }>;
  saveState(): Promise<Buffer>;
  loadState(state: Buffer): Promise<void>;
  lossAndGradient(temperature: number): Promise<{ loss: Float64Array; gradient: Float64Array }>;
  getParameters(best?: boolean): Float64Array;
  setParameters(values: Float64Array): void;
  parameterLayout(): { name: string; shape: number[] }[];
  info(): NativeTrainerInfo;
  dispose(): void;
}

export interface SelectionCheckResult {
  fusedU: Float64Array;
  referenceU: Float64Array;
  fusedGrad: Float64Array;
  referenceGrad: Float64Array;
  noiseSample: Float64Array;
}

/** The native module; the self-check of the selection kernels runs off the JS thread like every job. */
export interface NativeAddon {
  Trainer: new (options: NativeTrainerOptions) => NativeTrainer;
  /** The option keys the native trainer accepts (all required, no others). */
  trainerOptionKeys: readonly string[];
  capabilities(): NativeCapabilities;
  selectionCheck(o: {
    replicas: number;
    batch: number;
    k: number;
    d: number;
    temperature: number;
    seed: number;
    perSample: boolean;
    cache?: boolean;
  }): Promise<SelectionCheckResult>;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Turns a dlopen failure into a sentence that says what to do. */
export function adviceFor(message: string): string {
  if (/No native build was found|Cannot find module|ENOENT/.test(message)) {
    return (
      'the native addon is not built. Run `npm run build:native` (needs LibTorch: ' +
      '`apt-get install --no-install-recommends libtorch-dev libopenblas0-openmp libopenblas0-pthread cmake g++`, ' +
      'or `node scripts/setup.mjs` as root).'
    );
  }
  const lib = /(lib(?:torch|c10|gomp|blas|lapack|openblas)[\w.\-]*\.so[\w.]*)/.exec(message);
  if (/cannot open shared object file/.test(message) && lib) {
    return (
      `the shared library ${lib[1]} was not found. Install LibTorch (Debian: apt-get install libtorch-dev ` +
      'libopenblas0-openmp) or rebuild against the LibTorch you have: npm run build:native -- --CDTorch_DIR=…; ' +
      'for a LibTorch outside the system paths, its lib directory must be on LD_LIBRARY_PATH or in the RPATH.'
    );
  }
  if (/undefined symbol.*(cxx11|CXXABI_|GLIBCXX_)|(CXXABI_|GLIBCXX_)[\d.]+' not found/.test(message)) {
    return (
      'C++ ABI or libstdc++ mismatch between the addon and LibTorch. Rebuild from source on this machine ' +
      '(npm run build:native) with the same compiler family LibTorch was built with; a pip LibTorch uses ' +
      'the new (CXX11) ABI since PyTorch 2.x.'
    );
  }
  if (/GLIBC_[\d.]+' not found/.test(message)) {
    return 'the addon or LibTorch needs a newer glibc than this system has: build on this machine or use a newer OS.';
  }
  if (/undefined symbol/.test(message)) {
    return 'the addon was built against a different LibTorch than the one loaded now: rebuild with npm run build:native.';
  }
  if (/ERR_DLOPEN_DISABLED|--no-addons/.test(message)) {
    return 'native addons are disabled in this Node process (--no-addons): ipcae needs one.';
  }
  return 'rebuild it with npm run build:native; see the README for requirements.';
}

let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    const load = require('node-gyp-build') as (dir: string) => unknown;
    cached = load(packageRoot) as NativeAddon;
    return cached;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const err = new Error(`ipcae: could not load the native addon: ${adviceFor(message)}\n  (${message})`) as Error & {
      code: string;
      cause: unknown;
    };
    err.code = 'ERR_NATIVE_LOAD';
    err.cause = e;
    throw err;
  }
}
