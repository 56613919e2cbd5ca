// The pipeline API: fit on an Arrow table, get the K selected columns by name, transform new
// tables, save and load the fitted selector (in the spirit of scikit-learn's fit / transform / get_support).
import { readFileSync } from 'node:fs';
import type { Table } from 'apache-arrow';
import { Trainer, type EpochMetrics } from '../train/trainer.js';
import { trainerOptionsSchema } from '../train/options.js';
import { DEFAULT_SCHEDULE } from '../train/schedule.js';
import { methodOptions, type Method } from '../train/methods.js';
import { PAPER_SEEDS } from '../train/seeds.js';
import { meanStd, stability, type Stability } from '../stats/stats.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError } from '../errors.js';
import { prepareTable, readTable, type TablePrepOptions, type Task } from '../data/table.js';

export interface SelectOptions extends TablePrepOptions {
  /** Number of features to select. */
  k: number;
  seeds?: number[];
  epochs?: number;
  method?: Method;
  gjsdLambda?: number;
  batchSize?: number;
  hidden?: number[];
  lr?: number;
  device?: string;
  threads?: number;
  onEpoch?: (m: EpochMetrics) => void;
  signal?: AbortSignal;
}

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
    let data: FeatureSelectionData;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Cannot read a saved selection from ${file}: ${(e as Error).message}`);
    }
    if (data?.format !== 'ipcae-selection-v1') throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: expected an ipcae selection (format ipcae-selection-v1)`);
    return new FeatureSelection(data);
  }
}

export async function selectFeatures(input: Table | string, o: SelectOptions): Promise<FeatureSelection> {
  if (!o || !Number.isInteger(o.k) || o.k < 1) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected an integer >= 1 for k but received ${o?.k}`);
  const table = readTable(input);
  const prep = prepareTable(table, o);
  const D = prep.featureNames.length;
  if (o.k > D) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected k <= the number of feature columns (${D}) but received ${o.k}`);
  const method = o.method ?? 'ip-cae';
  // Unset options take the trainer's defaults (lib/train/options.ts), except where the pipeline
  // API differs on purpose: the batch never exceeds the training rows, seeds default to the first paper seed.
  const seeds = o.seeds ?? [PAPER_SEEDS[0]];
  const nTrain = prep.splits.train.rows.length;
  const trainer = new Trainer({
    ...methodOptions(method, o.gjsdLambda ?? 0.05),
    task: prep.task,
    inputDim: D,
    k: o.k,
    outputDim: prep.task === 'classification' ? prep.classes!.length : prep.targetWidth,
    hidden: o.hidden,
    batchSize: Math.min(o.batchSize ?? trainerOptionsSchema.shape.batchSize.parse(undefined), nTrain),
    lr: o.lr,
    seeds,
    device: o.device,
    threads: o.threads,
  });
  try {
    await trainer.setData(prep.splits);
    const r = await trainer.fit({ epochs: o.epochs ?? DEFAULT_SCHEDULE.epochs, onEpoch: o.onEpoch, signal: o.signal });
    const perSeed: SeedSelection[] = r.replicas.map((rep) => ({
      seed: rep.seed,
      features: rep.selected.map((i) => prep.featureNames[i]),
      indices: rep.selected,
      bestEpoch: rep.bestEpoch,
      bestValLoss: rep.bestValLoss,
      testMetric: rep.test.metric,
    }));
    const best = perSeed.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));
    const ms = meanStd(perSeed.map((p) => p.testMetric));
    return new FeatureSelection({
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
  } finally {
    trainer.dispose();
  }
}
