// Loads the native addon (build/Release/ipcae.node) with node-gyp-build and types its surface.
// A failed load becomes advice: what is missing and how to get it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { IpcaeError } from './errors.js';
import { packageRoot } from './package-root.js';

export interface NativeCapabilities {
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudaDevices: string[];
  /** This build has the fused CUDA selection kernel (built when CMake finds a CUDA LibTorch and nvcc). */
  cudaKernels: boolean;
  blas: string;
  blasLibrary: string;
  threads: number;
  hardwareThreads: number;
  parallelInfo: string;
  /** The variant of ipcae's CPU kernels in use (IPCAE_ISA forces one). */
  isa: 'baseline' | 'avx2' | 'avx512' | 'native';
  /** The best variant this CPU supports. */
  supportedIsa: 'baseline' | 'avx2' | 'avx512';
  /** Training flushes denormal floats to zero on every thread it uses (x86 FTZ/DAZ, Arm FZ). */
  denormalsFlushed: boolean;
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
  /** The relaxed-selection code in use: the CPU kernels, the CUDA kernel, or plain tensor ops. */
  selectionPath: 'fused-cpu' | 'fused-cuda' | 'tensor-ops';
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
  /** indices: R*K feature indices (replica-major) to evaluate the decoder on instead of the hard selection. */
  evaluate(split: 'train' | 'val' | 'test', best: boolean, indices?: Int32Array): Promise<{ loss: number[]; metric: number[] }>;
  selection(best: boolean): Promise<{ indices: Int32Array; probabilities: Float32Array }>;
  /** The decoder's outputs (R × rows × O) for rows × D inputs, on the hard selection or on indices (R*K). */
  predict(x: Float32Array, rows: number, best: boolean, indices?: Int32Array): Promise<Float32Array>;
  /** Decoder-only training on a fixed selection (R*K indices); resolves to the best validation loss per replica. */
  finetune(epochs: number, indices: Int32Array): Promise<number[]>;
  /** The state as an archive in chunks (an array of Buffers: a state of any size). */
  saveState(): Promise<Buffer[]>;
  /** A Buffer or an array of Buffers as saveState gives them. */
  loadState(state: Buffer | Buffer[]): Promise<void>;
  /** The configuration a saved state belongs to (what loadState checks). */
  fingerprint(): string;
  lossAndGradient(temperature: number): Promise<{ loss: Float64Array; gradient: Float64Array }>;
  getParameters(best?: boolean): Float64Array;
  /** One replica's parameters, float32, its blocks in layout order. */
  getReplicaParameters(replica: number, best?: boolean): Float32Array;
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
  probeHash?: Float64Array;
  probeGumbel?: Float64Array;
}

/** The native module; the self-check of the selection kernels runs off the JS thread like every job. */
export interface NativeAddon {
  Trainer: new (options: NativeTrainerOptions) => NativeTrainer;
  /** The option keys the native trainer accepts (all required, no others). */
  trainerOptionKeys: readonly string[];
  /** The baselines' option keys (lib/baselines/options.ts is their one definition). */
  baselineOptionKeys: readonly string[];
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
    /** cpu: the CPU kernel; emulated: the CUDA kernel's maths on the host; cuda: the CUDA kernel on `device`. */
    kernel?: 'cpu' | 'emulated' | 'cuda';
    device?: string;
    /** Return the kernel's (hash, Gumbel) noise for the first n counters of replica 0. */
    noiseProbe?: number;
  }): Promise<SelectionCheckResult>;
}

/** The system packages the addon needs, as the one apt line (package.json "ipcae".systemPackages). */
export function aptLine(): string {
  const pj = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { ipcae?: { systemPackages?: string[] } };
  return `apt-get install --no-install-recommends ${(pj.ipcae?.systemPackages ?? []).join(' ')}`;
}

/** How to rebuild: inside a user's project (installed under node_modules) or in a clone of ipcae. */
export function rebuildCommand(root = packageRoot()): string {
  return root.split(path.sep).includes('node_modules') ? 'npm rebuild ipcae' : 'npm run build:native';
}

/** Turns a dlopen failure into a sentence that says what to do. */
export function adviceFor(message: string, rebuild = rebuildCommand()): string {
  if (/No native build was found|Cannot find module|ENOENT/.test(message)) {
    const npm11 =
      rebuild === 'npm rebuild ipcae'
        ? " (npm 11 skips dependencies' install scripts unless allowed: `npm install-scripts approve ipcae` first)"
        : '';
    return `the native addon is not built. Run \`${rebuild}\`${npm11}; it needs LibTorch and a compiler (on Debian/Ubuntu as root: \`${aptLine()}\`).`;
  }
  const lib = /(lib(?:torch|c10|gomp|blas|lapack|openblas)[\w.\-]*\.so[\w.]*)/.exec(message);
  if (/cannot open shared object file/.test(message) && lib) {
    return (
      `the shared library ${lib[1]} was not found. Install LibTorch (Debian/Ubuntu as root: \`${aptLine()}\`) or rebuild against the LibTorch you have: ` +
      `Torch_DIR=/path/to/share/cmake/Torch ${rebuild}; for a LibTorch outside the system paths, its lib directory must be on LD_LIBRARY_PATH or in the RPATH.`
    );
  }
  if (/undefined symbol.*(cxx11|CXXABI_|GLIBCXX_)|(CXXABI_|GLIBCXX_)[\d.]+' not found/.test(message)) {
    return (
      `C++ ABI or libstdc++ mismatch between the addon and LibTorch. Rebuild from source on this machine (\`${rebuild}\`) ` +
      'with the same compiler family LibTorch was built with; a pip LibTorch uses the new (CXX11) ABI since PyTorch 2.x.'
    );
  }
  if (/GLIBC_[\d.]+' not found/.test(message)) {
    return `the addon or LibTorch needs a newer glibc than this system has: rebuild on this machine (\`${rebuild}\`) or use a newer OS.`;
  }
  if (/undefined symbol/.test(message)) {
    return `the addon was built against a different LibTorch than the one loaded now: rebuild it (\`${rebuild}\`).`;
  }
  if (/ERR_DLOPEN_DISABLED|--no-addons/.test(message)) {
    return 'native addons are disabled in this Node process (--no-addons): ipcae needs one.';
  }
  return `rebuild it (\`${rebuild}\`); see ipcae's README for what it needs.`;
}

let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    const load = require('node-gyp-build') as (dir: string) => unknown;
    cached = load(packageRoot()) as NativeAddon;
    return cached;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new IpcaeError('ERR_NATIVE_LOAD', `ipcae: could not load the native addon: ${adviceFor(message)}\n  (${message})`, { cause: e });
  }
}

let preloading: Promise<NativeAddon> | undefined;

/**
 * Loads the addon without blocking the event loop for LibTorch's start-up (about 0.5 s of dlopen
 * and static initialisers): a worker thread loads it first, so that LibTorch is in the process and
 * the load on this thread only registers the addon. A failure is the same ERR_NATIVE_LOAD as
 * loadNative's.
 */
export function preloadNative(): Promise<NativeAddon> {
  if (cached) return Promise.resolve(cached);
  preloading ??= new Promise<void>((resolve) => {
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
try { require(workerData.gypBuild)(workerData.root); parentPort.postMessage(true); } catch { parentPort.postMessage(false); }`,
      { eval: true, workerData: { root: packageRoot(), gypBuild: createRequire(import.meta.url).resolve('node-gyp-build') } },
    );
    const done = () => {
      void w.terminate();
      resolve();
    };
    w.once('message', done);
    w.once('error', done);
  }).then(() => loadNative());
  // a failed load is not remembered: the next call tries again (after a rebuild, say)
  preloading.catch(() => (preloading = undefined));
  return preloading;
}
