// Typed access to the baselines in the addon: STG and LassoNet models, the retrain evaluation and
// Hier-Prox (for the tests). Native errors carry the caller's stack; calls on one model are serialised.
import { loadNative, type NativeSplit } from '../../bindings/index.js';
import { IpcaeError, fromNative, native } from '../errors.js';
import { availableParallelism } from 'node:os';
import { replicaParts, type NativeBaselineOptions } from './options.js';

export interface BaselineSplits {
  train: NativeSplit;
  val: NativeSplit;
  test: NativeSplit;
}

/** Splits of a prepared dataset as the addon takes them (y only for classification / regression). */
export function toNativeSplits(
  data: { inputDim: number; train: { x: Float32Array; y: Int32Array | Float32Array }; val: { x: Float32Array; y: Int32Array | Float32Array }; test: { x: Float32Array; y: Int32Array | Float32Array } },
  task: string,
): BaselineSplits {
  const one = (s: { x: Float32Array; y: Int32Array | Float32Array }): NativeSplit => ({
    x: s.x,
    rows: s.x.length / data.inputDim,
    ...(task === 'classification' ? { y: s.y instanceof Int32Array ? s.y : Int32Array.from(s.y) } : {}),
    ...(task === 'regression' ? { y: s.y instanceof Float32Array ? s.y : Float32Array.from(s.y) } : {}),
  });
  return { train: one(data.train), val: one(data.val), test: one(data.test) };
}

export interface StgEpochReport {
  epoch: number;
  seconds: number;
  trainLoss: number[];
  valLoss: number[];
  valMetric: number[];
  /** Features whose test-time gate is open (> 0), per replica. */
  open: number[];
}

interface NativeStg {
  runEpochs(n: number): Promise<StgEpochReport[]>;
  mu(): Float64Array;
  objective(step: number): { objective: Float64Array; dMu: Float64Array; dW1: Float64Array };
  parameters(): { mu: Float64Array; W1: Float64Array };
  setParameters(name: 'mu' | 'W1', values: Float64Array): void;
}

export interface LassoNetPathPoint {
  replica: number;
  dense: boolean;
  lambda: number;
  epochs: number;
  valLoss: number;
  valObjective: number;
  thetaNorm: Float64Array;
}

interface NativeLassoNet {
  advance(epochs: number): Promise<{ points: LassoNetPathPoint[]; done: boolean; epochs: number; counts: number[] }>;
  saveState(): Promise<Buffer[]>;
  loadState(state: Buffer | Buffer[]): Promise<void>;
}

interface BaselineAddon {
  Stg: new (o: NativeBaselineOptions, train: NativeSplit, val: NativeSplit, test: NativeSplit) => NativeStg;
  LassoNet: new (o: NativeBaselineOptions, train: NativeSplit, val: NativeSplit, test: NativeSplit) => NativeLassoNet;
  retrain(o: NativeBaselineOptions, train: NativeSplit, val: NativeSplit, test: NativeSplit, indices: Int32Array, k: number, epochs: number): Promise<RetrainResult>;
  hierProx(theta: Float64Array, W: Float64Array, lambda: Float64Array, R: number, O: number, D: number, H: number, M: number): { theta: Float64Array; W: Float64Array };
  hierProxStart(theta: Float64Array, W: Float64Array, O: number, D: number, H: number, M: number): number;
}

function addon(): BaselineAddon {
  return loadNative() as unknown as BaselineAddon;
}

function construct<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    throw fromNative(e, new Error());
  }
}

/** One call at a time on a native model (the addon does not queue them). */
class Serial {
  private busy = false;
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.busy) throw new IpcaeError('ERR_BUSY', 'this model is already running a job; await it first');
    this.busy = true;
    try {
      return await native(f);
    } finally {
      this.busy = false;
    }
  }
}

export class StgModel {
  private readonly serial = new Serial();
  private readonly handle: NativeStg;
  constructor(readonly options: NativeBaselineOptions, splits: BaselineSplits) {
    this.handle = construct(() => new (addon().Stg)(options, splits.train, splits.val, splits.test));
  }
  runEpochs(n: number): Promise<StgEpochReport[]> {
    return this.serial.run(() => this.handle.runEpochs(n));
  }
  /** μ per replica (R × D): feature d is selected while μ_d > −0.5. */
  mu(): Float64Array {
    return this.handle.mu();
  }
  objective(step: number) {
    return construct(() => this.handle.objective(step));
  }
  parameters() {
    return this.handle.parameters();
  }
  setParameters(name: 'mu' | 'W1', values: Float64Array) {
    construct(() => this.handle.setParameters(name, values));
  }
}

export class LassoNetModel {
  private readonly serial = new Serial();
  private readonly handle: NativeLassoNet;
  constructor(readonly options: NativeBaselineOptions, splits: BaselineSplits) {
    this.handle = construct(() => new (addon().LassoNet)(options, splits.train, splits.val, splits.test));
  }
  advance(epochs: number) {
    return this.serial.run(() => this.handle.advance(epochs));
  }
  /** The whole state (parameters, optimizer moments, each replica's place on its path). */
  saveState(): Promise<Buffer[]> {
    return this.serial.run(() => this.handle.saveState());
  }
  /** Refused (ERR_INVALID_ARGUMENT) when the state belongs to other options or seeds. */
  loadState(state: Buffer | Buffer[]): Promise<void> {
    return this.serial.run(() => this.handle.loadState(state));
  }
}

export interface RetrainResult {
  testLoss: number[];
  testMetric: number[];
  bestValLoss: number[];
  bestEpoch: number[];
}

/**
 * A fresh MLP per seed trained on that seed's K selected features; the test metric of its
 * best-validation epoch. Seeds are spread over the cores (replicaParts).
 */
export async function retrainNative(o: NativeBaselineOptions, splits: BaselineSplits, selections: number[][], epochs: number): Promise<RetrainResult> {
  const k = selections[0]?.length ?? 0;
  const { parts, threads } = replicaParts(o.seeds.length, o.threads, availableParallelism());
  const results = await Promise.all(
    parts.map((p) =>
      native(() =>
        addon().retrain({ ...o, threads, seeds: p.map((i) => o.seeds[i]) }, splits.train, splits.val, splits.test, Int32Array.from(p.flatMap((i) => selections[i])), k, epochs),
      ),
    ),
  );
  const out: RetrainResult = { testLoss: [], testMetric: [], bestValLoss: [], bestEpoch: [] };
  for (const r of results) for (const key of Object.keys(out) as (keyof RetrainResult)[]) out[key].push(...r[key]);
  return out;
}

export function hierProx(theta: Float64Array, W: Float64Array, lambda: Float64Array, dims: { R: number; O: number; D: number; H: number }, M: number) {
  return construct(() => addon().hierProx(theta, W, lambda, dims.R, dims.O, dims.D, dims.H, M));
}

/** lassonet's automatic path start before the division by lr and 10: the λ at which repeated Hier-Prox starts to drop features. */
export function hierProxStart(theta: Float64Array, W: Float64Array, dims: { O: number; D: number; H: number }, M: number): number {
  return construct(() => addon().hierProxStart(theta, W, dims.O, dims.D, dims.H, M));
}
