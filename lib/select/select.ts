// The pipeline API: fit on an Arrow table, get the K selected columns by name, transform new
// tables, save and load the fitted selector (in the spirit of scikit-learn's fit / transform / get_support).
import { readFileSync } from 'node:fs';
import type { Table } from 'apache-arrow';
import { Trainer, type EpochMetrics } from '../train/trainer.js';
import { methodOptions, type Method } from '../train/methods.js';
import { meanStd, stability, type Stability } from '../stats/stats.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError, invalidArgument } from '../errors.js';
import { parseOrThrow } from '../validate.js';
import { selectOptionsSchema, selectionFileSchema, type SelectOptions } from './options.js';
import { isArrowTable, prepareTable, readTable, type TablePrepOptions, type Task } from '../data/table.js';

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

  /** A table with only the selected columns (each once, in selection order). */
  transform(table: Table | string): Table {
    const t = readTable(table);
    const unique = [...new Set(this.data.features)];
    const missing = unique.filter((f) => !t.schema.fields.some((x) => x.name === f));
    if (missing.length) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the table`);
    return t.select(unique);
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

export async function selectFeatures(input: Table | string, options: SelectOptions): Promise<FeatureSelection> {
  if (typeof input !== 'string' && !isArrowTable(input)) throw invalidArgument('the table', 'an apache-arrow Table or the path of an Arrow IPC file', input);
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object with at least k', options);
  const o = parseOrThrow(selectOptionsSchema, options, 'options');
  const table = readTable(input);
  const prep = prepareTable(table, o);
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
