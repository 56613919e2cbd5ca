// The pipeline API: fit on an Arrow table, get the K selected columns by name, transform new
// tables, save and load the fitted selector (in the spirit of scikit-learn's fit / transform / get_support).
import { readFileSync } from 'node:fs';
import { Table, makeVector, type Vector } from 'apache-arrow';
import { Trainer, preload, type EpochMetrics } from '../train/trainer.js';
import { methodOptions, type Method } from '../train/methods.js';
import { meanStd, stability, type Stability } from '../stats/stats.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError, invalidArgument } from '../errors.js';
import { parseOrThrow } from '../validate.js';
import { selectOptionsSchema, selectionFileSchema, type SelectOptions } from './options.js';
import type { IgnoredColumn, OneHotEncoding, Task } from '../data/table.js';
import { readTableSync, type TableInput } from '../data/read.js';
import { readAndPrepare } from '../data/read-async.js';
import { textColumn } from '../data/columns.js';

export type { SelectOptions } from './options.js';

export interface SeedSelection {
  seed: number;
  features: string[];
  indices: number[];
  bestEpoch: number;
  bestValLoss: number;
  testMetric: number;
}

export interface FeatureSelectionData {
  format: 'ipcae-selection-v1';
  task: Task;
  k: number;
  method: Method;
  inputFeatures: string[];
  features: string[];
  indices: number[];
  classes?: string[];
  metric: { name: string; mean: number; std: number };
  perSeed: SeedSelection[];
  stability: Stability;
  scaling: { kind: string; offset: number[]; scale: number[] };
  /** Columns of the input that were not features, with why (absent in files saved before 0.2). */
  ignored?: IgnoredColumn[];
  /** Text columns one-hot encoded into features 'column=value'. */
  encodings?: OneHotEncoding[];
}

export class FeatureSelection {
  constructor(readonly data: FeatureSelectionData) {}

  /** The selected column names: those of the seed with the lowest best validation loss. */
  get features(): string[] {
    return this.data.features;
  }
  /** Their indices among the input feature columns (duplicates are possible and kept, as in CAE). */
  get indices(): number[] {
    return this.data.indices;
  }
  get perSeed(): SeedSelection[] {
    return this.data.perSeed;
  }
  get metric() {
    return this.data.metric;
  }
  get classes(): string[] | undefined {
    return this.data.classes;
  }

  /** Columns of the input that were not used as features, with the reason (README: column types). */
  get ignored(): IgnoredColumn[] {
    return this.data.ignored ?? [];
  }

  /**
   * A table with only the selected columns (each once, in selection order), from any table input
   * (a file is read on this thread: use readTableAsync first for large files). One-hot features
   * ('column=value') are computed from their text column.
   */
  transform(input: TableInput): Table {
    const t = readTableSync(input).table;
    const names = t.schema.fields.map((f) => f.name);
    const unique = [...new Set(this.data.features)];
    const encoded = new Map<string, { column: string; value: string }>();
    for (const e of this.data.encodings ?? []) for (const c of e.categories) encoded.set(`${e.column}=${c}`, { column: e.column, value: c });
    const missing = unique.filter((f) => !names.includes(f) && !(encoded.has(f) && names.includes(encoded.get(f)!.column)));
    if (missing.length)
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the table; it has ${names.map((m) => `'${m}'`).join(', ')}`);
    const cols: Record<string, Vector> = {};
    for (const f of unique) {
      if (names.includes(f)) cols[f] = t.getChildAt(names.indexOf(f))!;
      else {
        const { column, value } = encoded.get(f)!;
        const text = textColumn(t.getChildAt(names.indexOf(column))!);
        cols[f] = makeVector(Float32Array.from(text, (x) => (x === null ? NaN : x === value ? 1 : 0)));
      }
    }
    return new Table(cols);
  }

  toJSON(): FeatureSelectionData {
    return this.data;
  }

  save(file: string): void {
    writeJsonAtomic(file, this.data);
  }

  static load(file: string): FeatureSelection {
    if (typeof file !== 'string') throw invalidArgument('file', 'a path to a saved selection', file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Cannot read a saved selection from ${file}: ${(e as Error).message}`);
    }
    if ((raw as { format?: unknown })?.format !== 'ipcae-selection-v1')
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: expected an ipcae selection (format ipcae-selection-v1)`);
    try {
      return new FeatureSelection(parseOrThrow(selectionFileSchema, raw) as FeatureSelectionData);
    } catch (e) {
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: not a valid saved selection: ${(e as Error).message}`);
    }
  }
}

/**
 * Fits a selector on any table input: a file (Arrow IPC, Parquet, CSV/TSV — by content), bytes,
 * an apache-arrow Table, row objects, or { x, featureNames?, y? } (y becomes the default target).
 * Large files are read and converted on a worker thread; the event loop stays free.
 */
export async function selectFeatures(input: TableInput, options: SelectOptions): Promise<FeatureSelection> {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object with at least k', options);
  const o = parseOrThrow(selectOptionsSchema, options, 'options');
  const matrixTarget = typeof input === 'object' && input !== null && !Array.isArray(input) && 'x' in input && (input as { y?: unknown }).y !== undefined;
  const { prep, meta } = await readAndPrepare(input, {
    target: o.target ?? (matrixTarget ? 'y' : undefined),
    task: o.task,
    features: o.features,
    exclude: o.exclude,
    split: o.split,
    scaling: o.scaling,
    impute: o.impute,
    categorical: o.categorical,
  });
  await preload(); // LibTorch starts off the event loop
  const D = prep.featureNames.length;
  if (o.k > D) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected k <= the number of feature columns (${D}) but received ${o.k}`);
  const { method, seeds } = o;
  const nTrain = prep.splits.train.rows.length;
  const trainer = new Trainer({
    ...methodOptions(method, o.gjsdLambda),
    task: prep.task,
    inputDim: D,
    k: o.k,
    outputDim: prep.task === 'classification' ? prep.classes!.length : prep.targetWidth,
    hidden: o.hidden,
    batchSize: Math.min(o.batchSize, nTrain), // never more than the training rows
    lr: o.lr,
    seeds,
    device: o.device,
    threads: o.threads,
  });
  try {
    await trainer.setData(prep.splits);
    const r = await trainer.fit({ epochs: o.epochs, onEpoch: o.onEpoch, signal: o.signal });
    // A seed whose loss became non-finite has no selection: it is left out, and the call fails
    // after the others (ERR_DIVERGED, with their selection as error.partial).
    const finished = r.replicas.filter((rep) => rep.divergedAtEpoch === null);
    const diverged = r.replicas.filter((rep) => rep.divergedAtEpoch !== null);
    const divergedText = diverged.map((d) => `seed ${d.seed} at epoch ${d.divergedAtEpoch! + 1}`).join(', ');
    if (finished.length === 0)
      throw new IpcaeError('ERR_DIVERGED', `training diverged (non-finite loss) for every seed (${divergedText}); try a smaller lr`);
    const perSeed: SeedSelection[] = finished.map((rep) => ({
      seed: rep.seed,
      features: rep.selected.map((i) => prep.featureNames[i]),
      indices: rep.selected,
      bestEpoch: rep.bestEpoch,
      bestValLoss: rep.bestValLoss,
      testMetric: rep.test.metric,
    }));
    const best = perSeed.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));
    const ms = meanStd(perSeed.map((p) => p.testMetric));
    const selection = new FeatureSelection({
      format: 'ipcae-selection-v1',
      task: prep.task,
      k: o.k,
      method,
      inputFeatures: prep.featureNames,
      features: best.features,
      indices: best.indices,
      classes: prep.classes,
      metric: { name: prep.task === 'classification' ? 'accuracy' : prep.task === 'reconstruction' ? 'reconstructionError' : 'mse', ...ms },
      perSeed,
      stability: stability(perSeed.map((p) => p.indices), prep.featureNames, o.k),
      scaling: prep.scaling,
      ignored: [...meta.dropped, ...prep.ignored],
      encodings: prep.encodings,
    });
    if (diverged.length) {
      const err = new IpcaeError('ERR_DIVERGED', `training diverged (non-finite loss) for ${divergedText}; the selection of the other seed(s) is error.partial; try a smaller lr`);
      (err as IpcaeError & { partial?: FeatureSelection }).partial = selection;
      throw err;
    }
    return selection;
  } finally {
    trainer.dispose();
  }
}
