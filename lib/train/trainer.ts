// The TypeScript face of the native trainer: validated options, typed data, the temperature
// schedule, AbortSignal, progress callbacks, and errors that carry the caller's stack.
import {
  loadNative,
  preloadNative,
  type NativeTrainer,
  type NativeSplit,
  type NativeEpochReport,
  type NativeReplicaEpoch,
} from '../../bindings/index.js';
import { IpcaeError, fromNative, invalidArgument, native } from '../errors.js';
import { resolveTrainerOptions, type TrainerOptions, type TrainerOptionsInput } from './options.js';
import { temperatures, type TemperatureSchedule, DEFAULT_SCHEDULE } from './schedule.js';
import { constants as bufferConstants } from 'node:buffer';
import { joinParts, readFileParts, totalLength } from '../files/bytes.js';
import { formatBytes, writeAtomic } from '../files/atomic.js';
import { openState, signState } from './state-format.js';

export interface SplitInput {
  /** Row-major features, rows × inputDim. */
  x: Float32Array | ArrayLike<number>;
  /** Class labels in [0, C) (classification) or rows × targetWidth values (regression). */
  y?: Int32Array | Float32Array | ArrayLike<number>;
}

export interface DataInput {
  train: SplitInput;
  val: SplitInput;
  test: SplitInput;
}

/** NativeReplicaEpoch (valMetric: accuracy as a fraction, reconstruction error (docs/method.md §5) or MSE) plus its seed. */
export interface ReplicaEpochMetrics extends NativeReplicaEpoch {
  seed: number;
}

export interface EpochMetrics {
  epoch: number;
  temperature: number;
  seconds: number;
  replicas: ReplicaEpochMetrics[];
}

export interface FitOptions extends Partial<TemperatureSchedule> {
  /** Stop after this epoch index (exclusive) instead of `epochs`; the schedule still spans `epochs`. */
  until?: number;
  onEpoch?: (m: EpochMetrics) => void;
  signal?: AbortSignal;
}

export interface ReplicaResult {
  seed: number;
  bestEpoch: number;
  bestValLoss: number;
  /** The K selected feature indices (argmax of the best-validation logits). */
  selected: number[];
  /** softmax of the best-validation logits, K × D, row-major. */
  probabilities: Float32Array;
  test: { loss: number; metric: number };
  /** The epoch (0-based) at which this replica's loss became non-finite and it was stopped, or null. */
  divergedAtEpoch: number | null;
}

export interface FitResult {
  history: EpochMetrics[];
  replicas: ReplicaResult[];
}

export class Trainer {
  readonly options: TrainerOptions;
  private handle: NativeTrainer | undefined;

  constructor(options: TrainerOptionsInput) {
    this.options = resolveTrainerOptions(options);
    const addon = loadNative();
    try {
      this.handle = new addon.Trainer(this.options);
    } catch (e) {
      throw fromNative(e, new Error());
    }
  }

  private get native(): NativeTrainer {
    if (!this.handle) throw new IpcaeError('ERR_DISPOSED', 'this trainer was disposed');
    return this.handle;
  }

  get replicas(): number {
    return this.options.seeds.length;
  }

  info() {
    return this.native.info();
  }

  async setData(data: DataInput): Promise<void> {
    if (!data || typeof data !== 'object') throw invalidArgument('data', 'an object { train, val, test }', data);
    const splits = (['train', 'val', 'test'] as const).map((name) => this.toNativeSplit(name, data[name]));
    const n = this.native;
    await native(() => n.setData(splits[0], splits[1], splits[2]));
  }

  private toNativeSplit(name: string, s: SplitInput | undefined): NativeSplit {
    const D = this.options.inputDim;
    if (!s || typeof s !== 'object') throw invalidArgument(`data.${name}`, 'an object { x, y }', s);
    const x = s.x instanceof Float32Array ? s.x : Float32Array.from(s.x ?? []);
    if (x.length % D !== 0)
      throw invalidArgument(`data.${name}.x`, `a multiple of inputDim = ${D} values`, s.x);
    const rows = x.length / D;
    if (rows === 0) throw invalidArgument(`data.${name}.x`, 'a non-empty split', s.x);
    const task = this.options.task;
    let y: Int32Array | Float32Array | undefined;
    if (task === 'classification') {
      if (!s.y) throw invalidArgument(`data.${name}.y`, `${rows} class labels`, s.y);
      y = s.y instanceof Int32Array ? s.y : Int32Array.from(s.y);
      if (y.length !== rows) throw invalidArgument(`data.${name}.y`, `${rows} class labels (one per row)`, s.y);
      for (let i = 0; i < y.length; i++) {
        if (!Number.isInteger(s.y[i] as number) || y[i] < 0 || y[i] >= this.options.outputDim)
          throw invalidArgument(`data.${name}.y[${i}]`, `a class label in [0, ${this.options.outputDim})`, s.y[i]);
      }
    } else if (task === 'regression') {
      if (!s.y) throw invalidArgument(`data.${name}.y`, `${rows * this.options.outputDim} target values`, s.y);
      y = s.y instanceof Float32Array ? s.y : Float32Array.from(s.y);
      if (y.length !== rows * this.options.outputDim)
        throw invalidArgument(`data.${name}.y`, `rows × outputDim = ${rows * this.options.outputDim} target values`, s.y);
    }
    return { x, rows, y };
  }

  /**
   * Trains from the current epoch up to `until` (default: the schedule's `epochs`), one native
   * call; per-epoch metrics reach `onEpoch` while it runs. Abort stops between two steps and
   * leaves the trainer at the last completed epoch (rejects with ERR_CANCELLED).
   */
  async fit(o: FitOptions = {}): Promise<FitResult> {
    const schedule: TemperatureSchedule = {
      t0: o.t0 ?? DEFAULT_SCHEDULE.t0,
      tEnd: o.tEnd ?? DEFAULT_SCHEDULE.tEnd,
      epochs: o.epochs ?? DEFAULT_SCHEDULE.epochs,
    };
    for (const [k, v] of Object.entries(schedule))
      if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw invalidArgument(`fit.${k}`, 'a positive number', v);
    if (!Number.isInteger(schedule.epochs)) throw invalidArgument('fit.epochs', 'an integer >= 1', schedule.epochs);
    const until = o.until ?? schedule.epochs;
    if (!Number.isInteger(until) || until < 0 || until > schedule.epochs)
      throw invalidArgument('fit.until', `an integer in [0, ${schedule.epochs}]`, o.until);
    const history: EpochMetrics[] = [];
    const from = this.native.info().epoch;
    await this.trainEpochs(temperatures(schedule, Math.min(from, until), until), (m) => {
      history.push(m);
      o.onEpoch?.(m);
    }, o.signal);
    return { history, replicas: await this.results() };
  }

  /** Runs one epoch per temperature. */
  async trainEpochs(temps: number[], onEpoch?: (m: EpochMetrics) => void, signal?: AbortSignal): Promise<void> {
    if (!Array.isArray(temps) || temps.some((t) => !(typeof t === 'number' && t > 0 && Number.isFinite(t))))
      throw invalidArgument('temperatures', 'an array of positive numbers', temps);
    if (signal?.aborted) throw new IpcaeError('ERR_CANCELLED', 'training was cancelled before it started');
    const n = this.native;
    const seeds = this.options.seeds;
    const onAbort = () => n.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await native(() =>
        n.train(temps, (r: NativeEpochReport) => {
          onEpoch?.({
            epoch: r.epoch,
            temperature: r.temperature,
            seconds: r.seconds,
            replicas: r.replicas.map((x, i) => ({ seed: seeds[i], ...x })),
          });
        }),
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Loss and metric per replica on a split, with the hard selection — or with `selection`, one
   * list of K feature indices per replica (the decoder evaluated on other features, e.g. a distinct set).
   */
  async evaluate(split: 'train' | 'val' | 'test' = 'test', opts: { best?: boolean; selection?: number[][] } = {}) {
    if (!['train', 'val', 'test'].includes(split)) throw invalidArgument('split', "'train', 'val' or 'test'", split);
    const indices = this.selectionIndices(opts.selection);
    const n = this.native;
    return native(() => n.evaluate(split, opts.best ?? true, indices));
  }

  /**
   * Trains the decoder only, for `epochs` passes, on a fixed selection (K feature indices per
   * replica; the selector is frozen), from the best-validation parameters with fresh Adam moments.
   * The best validation loss (the start included) decides the new best parameters; resolves to it.
   */
  async finetune(epochs: number, opts: { selection: number[][] }): Promise<number[]> {
    if (!Number.isInteger(epochs) || epochs < 1) throw invalidArgument('epochs', 'an integer >= 1', epochs);
    const indices = this.selectionIndices(opts?.selection);
    if (!indices) throw invalidArgument('selection', 'one list of k feature indices per seed', undefined);
    const n = this.native;
    return native(() => n.finetune(epochs, indices));
  }

  /** A selection given by the caller (K feature indices per replica), checked and flattened for the addon. */
  private selectionIndices(selection: number[][] | undefined): Int32Array | undefined {
    if (selection === undefined) return undefined;
    const { k, inputDim, seeds } = this.options;
    if (!Array.isArray(selection) || selection.length !== seeds.length || selection.some((row) => !Array.isArray(row) || row.length !== k))
      throw invalidArgument('selection', `${seeds.length} lists (one per seed) of k = ${k} feature indices`, selection);
    const bad = selection.flat().find((j) => !Number.isInteger(j) || j < 0 || j >= inputDim);
    if (bad !== undefined) throw invalidArgument('selection', `feature indices in [0, ${inputDim})`, bad);
    return Int32Array.from(selection.flat());
  }

  /**
   * The decoder's outputs for rows × D inputs (row-major), one Float32Array (rows × outputs) per
   * replica: on the hard selection, or on `selection` (K feature indices per replica).
   */
  async predict(x: Float32Array, opts: { best?: boolean; selection?: number[][] } = {}): Promise<Float32Array[]> {
    const { inputDim: D, seeds } = this.options;
    if (!(x instanceof Float32Array) || x.length % D !== 0) throw invalidArgument('x', `a Float32Array of rows × ${D} values`, x);
    const rows = x.length / D;
    const indices = this.selectionIndices(opts.selection);
    const n = this.native;
    const out = await native(() => n.predict(x, rows, opts.best ?? true, indices));
    const per = rows === 0 ? 0 : out.length / seeds.length;
    return seeds.map((_, r) => out.slice(r * per, (r + 1) * per));
  }

  /** Selected indices per replica (K each) and the K×D probabilities. */
  async selection(opts: { best?: boolean } = {}) {
    const n = this.native;
    const s = await native(() => n.selection(opts.best ?? true));
    const K = this.options.k,
      D = this.options.inputDim;
    return this.options.seeds.map((seed, r) => ({
      seed,
      indices: Array.from(s.indices.subarray(r * K, (r + 1) * K)),
      probabilities: s.probabilities.slice(r * K * D, (r + 1) * K * D),
    }));
  }

  /** Test metrics with the best-validation parameters, and the selection, per replica. */
  async results(): Promise<ReplicaResult[]> {
    const info = this.native.info();
    const test = await this.evaluate('test', { best: true });
    const sel = await this.selection({ best: true });
    return sel.map((s, r) => ({
      seed: s.seed,
      bestEpoch: info.bestEpoch[r],
      bestValLoss: info.bestValLoss[r],
      selected: s.indices,
      probabilities: s.probabilities,
      test: { loss: test.loss[r], metric: test.metric[r] },
      divergedAtEpoch: info.divergedEpoch[r] >= 0 ? info.divergedEpoch[r] : null,
    }));
  }

  /**
   * The whole trainer state (parameters, best parameters, Adam moments, counters) as signed bytes:
   * a checksum and the configuration's fingerprint, both checked by loadState. Resolves to one
   * Buffer; a state too large for one Buffer (Node's limit, 4 GiB on Node 20) is refused with
   * ERR_OUT_OF_MEMORY: use saveStateParts() or saveStateTo(file) for those.
   */
  async saveState(): Promise<Buffer> {
    const parts = await this.saveStateParts();
    const size = totalLength(parts);
    if (size > bufferConstants.MAX_LENGTH)
      throw new IpcaeError('ERR_OUT_OF_MEMORY', `The trainer state is ${formatBytes(size)}, more than one Buffer holds (${formatBytes(bufferConstants.MAX_LENGTH)}); use saveStateParts() (an array of Buffers) or saveStateTo(file)`);
    return joinParts(parts);
  }

  /** saveState's bytes as an array of Buffers (a state of any size; loadState takes the array). */
  async saveStateParts(): Promise<Buffer[]> {
    const archive = await this.saveArchive();
    return signState(archive, this.native.fingerprint());
  }

  /** Writes saveState's bytes to `file` atomically (streamed: a state of any size). */
  async saveStateTo(file: string): Promise<void> {
    writeAtomic(file, await this.saveStateParts());
  }

  /**
   * Restores a state saved by saveState / saveStateParts (a Buffer, a Uint8Array or an array of
   * them). Refused with ERR_INVALID_ARGUMENT when any byte was changed (checksum) or the state
   * belongs to another configuration. A state saved before states were signed (a bare archive)
   * still loads, with a warning (process 'warning' event, code IPCAE_UNSIGNED_STATE).
   */
  async loadState(state: Buffer | Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (!(state instanceof Uint8Array) && !(Array.isArray(state) && state.every((b) => b instanceof Uint8Array)))
      throw invalidArgument('state', 'a Buffer, a Uint8Array or an array of them (as saveState / saveStateParts give)', state);
    const opened = openState(state, this.native.fingerprint());
    if (!opened.signed)
      process.emitWarning('this trainer state has no checksum (saved by an older ipcae): it cannot be checked for damage; save it again to sign it', {
        code: 'IPCAE_UNSIGNED_STATE',
      });
    await this.loadArchive(opened.archive);
  }

  /** Reads a state written by saveStateTo (a file of any size). */
  async loadStateFrom(file: string): Promise<void> {
    let parts: Buffer[];
    try {
      parts = readFileParts(file);
    } catch (e) {
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Cannot read the trainer state ${file}: ${(e as Error).message}`, { cause: e });
    }
    await this.loadState(parts);
  }

  /**
   * The native archive alone, in parts, without the signature: for run directories, whose
   * checkpoint file carries its own checksum over it.
   */
  async saveArchive(): Promise<Buffer[]> {
    const n = this.native;
    return native(() => n.saveState());
  }

  /** Loads a native archive (parts) as saveArchive gives it; the native side checks the fingerprint. */
  async loadArchive(archive: readonly Uint8Array[]): Promise<void> {
    const n = this.native;
    const bufs = archive.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
    await native(() => n.loadState(bufs));
  }

  /** Loss and flat gradient on the first training batch at the current step's noise (for checks). */
  async lossAndGradient(temperature: number) {
    const n = this.native;
    return native(() => n.lossAndGradient(temperature));
  }
  /** All replicas' parameters, flat (layout: parameterLayout(), each block [R, ...shape]). */
  getParameters(opts: { best?: boolean } = {}): Float64Array {
    return this.native.getParameters(opts.best ?? false);
  }

  /** One replica's parameters by name (the best-validation ones with best: true), float32. */
  replicaParameters(replica: number, opts: { best?: boolean } = {}): { name: string; shape: number[]; values: Float32Array }[] {
    if (!Number.isInteger(replica) || replica < 0 || replica >= this.replicas) throw invalidArgument('replica', `an integer in [0, ${this.replicas})`, replica);
    const all = this.native.getReplicaParameters(replica, opts.best ?? false);
    let off = 0;
    return this.parameterLayout().map((p) => {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const values = all.subarray(off, off + n);
      off += n;
      return { name: p.name, shape: p.shape, values };
    });
  }
  setParameters(values: Float64Array): void {
    const n = this.native;
    try {
      n.setParameters(values);
    } catch (e) {
      throw fromNative(e, new Error());
    }
  }
  parameterLayout() {
    return this.native.parameterLayout();
  }

  /** Frees the native memory now; any later use is an ERR_DISPOSED error. */
  dispose(): void {
    if (!this.handle) return;
    try {
      this.handle.dispose();
    } catch (e) {
      throw fromNative(e, new Error());
    }
    this.handle = undefined;
  }
}

export function capabilities() {
  return loadNative().capabilities();
}

/**
 * Loads LibTorch and the addon on a worker thread first, so that the event loop is not blocked by
 * its start-up; the first Trainer after it starts at once. selectFeatures and runs call it; a
 * server can call it at start. Rejects with ERR_NATIVE_LOAD (and its advice) when the addon is missing.
 */
export async function preload(): Promise<void> {
  await preloadNative();
}

