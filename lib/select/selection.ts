// A fitted selection: the selected columns by name, every seed's result, the scores, the
// decoder of reconstruction selectors; transform / reconstruct new tables; its file format (save / load).
import { readFileSync } from 'node:fs';
import { Table, Vector, makeVector } from 'apache-arrow';
import { columnPolicy, numericColumn, tableFromColumns } from '../tables/columns.js';
import { Trainer, preload } from '../train/trainer.js';
import { isBaselineMethod, type AnyMethod } from '../train/methods.js';
import type { Stability } from '../stats/stats.js';
import { type FeatureScore } from '../stats/scores.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError, invalidArgument } from '../errors.js';
import { parseOrThrow } from '../validate.js';
import { selectionFileSchema } from './options.js';
import type { IgnoredColumn, OneHotEncoding, Task } from '../tables/table.js';
import { readTableSync, type TableInput } from '../tables/read.js';
import { textColumn } from '../tables/columns.js';

export interface SeedSelection {
  seed: number;
  features: string[];
  indices: number[];
  bestEpoch: number;
  bestValLoss: number;
  testMetric: number;
  /** Regression: 1 − MSE / variance of the test targets. */
  r2?: number;
  /**
   * With distinct selections, when argmax gave this seed a feature twice: the faithful (argmax)
   * selection and its results. The seed's features, indices, validation loss and metric are then
   * those of the distinct selection.
   */
  faithful?: { features: string[]; indices: number[]; bestValLoss: number; testMetric: number };
  /** stg / lassonet: the λ chosen, the features it kept, and whether that was exactly K. */
  /** STG / LassoNet: the λ used, the feature count there, whether it was exactly K; startTooLarge: lassonet's warning (lassonet.ts). */
  baseline?: { lambda: number; count: number; exact: boolean; startTooLarge?: { start: number; firstDrop: number } };
}

export interface FeatureSelectionData {
  format: 'ipcae-selection-v1';
  task: Task;
  k: number;
  method: AnyMethod;
  inputFeatures: string[];
  features: string[];
  indices: number[];
  classes?: string[];
  /** faithful: the mean ± std with the argmax selections, when distinct selections changed some seed. */
  metric: { name: string; mean: number; std: number; r2?: { mean: number; std: number }; faithful?: { mean: number; std: number } };
  perSeed: SeedSelection[];
  stability: Stability;
  scaling: { kind: string; offset: number[]; scale: number[] };
  /** Columns of the input that were not features, with why (absent in files saved before 0.2). */
  ignored?: IgnoredColumn[];
  /** Text columns one-hot encoded into features 'column=value'. */
  encodings?: OneHotEncoding[];
  /** Every input feature's score and selection frequency, best first (docs/library.md: scores and ranking). */
  scores?: FeatureScore[];
  /** Decoder-only epochs run on the final selections (finetune), when distinct selections changed a seed. */
  finetuned?: number;
  /** P and the noise when the table's width chose them (not the paper's P = D and per-sample noise): the values and why. */
  widthDefaults?: { p: number; noise: 'per-sample' | 'per-batch'; note: string };
  /**
   * Reconstruction selectors: the chosen seed's decoder (best-validation parameters), so that
   * `reconstruct` can predict all D features from the K selected ones.
   */
  decoder?: { seed: number; hidden: number[]; parameters: { name: string; shape: number[] }[]; values: string };
  /** stg / lassonet: their metrics are those of a fresh MLP (one hidden layer) retrained on each seed's K features. */
  retrained?: { epochs: number; hidden: number };
}

export class FeatureSelection {
  constructor(readonly data: FeatureSelectionData) {}

  /** The selected column names: those of the seed with the lowest best validation loss. */
  get features(): string[] {
    return this.data.features;
  }
  /** Their indices among the input feature columns: K distinct ones by default; with distinct: false, argmax's (duplicates kept, as in CAE). */
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

  /**
   * Every input feature's score — the mean over seeds of Σ_k softmax(L_k)_d, the expected number of
   * selector nodes picking it (the scores sum to K) — and the share of seeds that selected it; best first.
   */
  get scores(): FeatureScore[] {
    return this.data.scores ?? [];
  }
  /** The input features ordered by score (then frequency, then column order). */
  get ranking(): string[] {
    return this.scores.map((s) => s.feature);
  }
  /** scikit-learn's get_support(): one boolean per input feature, true for the selected ones. */
  getSupport(): boolean[] {
    const chosen = new Set(this.data.indices);
    return this.data.inputFeatures.map((_, j) => chosen.has(j));
  }
  /**
   * scikit-learn's get_feature_names_out(): the selected names, each once, in the input's column
   * order (transform's columns: X[:, getSupport()]). `features` keeps the selector nodes' order.
   */
  getFeatureNamesOut(): string[] {
    const chosen = new Set(this.data.indices);
    return this.data.inputFeatures.filter((_, j) => chosen.has(j));
  }

  /** Columns of the input that were not used as features, with the reason (docs/tables.md: column types). */
  get ignored(): IgnoredColumn[] {
    return this.data.ignored ?? [];
  }

  /**
   * A table with only the selected columns (each once, in the input's column order, as
   * scikit-learn's X[:, getSupport()]), from any table input
   * (a file is read on this thread: use readTableAsync first for large files). One-hot features
   * ('column=value') are computed from their text column.
   */
  transform(input: TableInput): Table {
    const t = readTableSync(input).table;
    const names = t.schema.fields.map((f) => f.name);
    const unique = this.getFeatureNamesOut();
    const encoded = new Map<string, { column: string; value: string }>();
    for (const e of this.data.encodings ?? []) for (const c of e.categories) encoded.set(`${e.column}=${c}`, { column: e.column, value: c });
    const missing = unique.filter((f) => !names.includes(f) && !(encoded.has(f) && names.includes(encoded.get(f)!.column)));
    if (missing.length)
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the table; it has ${names.map((m) => `'${m}'`).join(', ')}`);
    const cols: Record<string, Vector> = {};
    for (const f of unique) {
      if (names.includes(f)) {
        const v = t.getChildAt(names.indexOf(f))!;
        const policy = columnPolicy(v.type);
        if (policy.kind !== 'numeric')
          throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column '${f}' to hold numbers (as it did when fitted) but it is ${policy.typeName}: ${policy.reason}`);
        // A column of another apache-arrow copy (Arquero, another version) becomes one of ours:
        // float64, nulls as NaN (a Table cannot hold another copy's vectors)
        cols[f] = v instanceof Vector ? v : makeVector(numericColumn(v));
      } else {
        const { column, value } = encoded.get(f)!;
        const text = textColumn(t.getChildAt(names.indexOf(column))!);
        cols[f] = makeVector(Float32Array.from(text, (x) => (x === null ? NaN : x === value ? 1 : 0)));
      }
    }
    return tableFromColumns(cols);
  }

  /**
   * The decoder as an imputer (reconstruction selectors): from a table (any TableInput) holding the
   * selected columns, all D input features by their names — the decoder's reconstruction of every
   * one, the selected ones included, in the original units (the fit's scaling undone).
   */
  async reconstruct(input: TableInput): Promise<Table> {
    const d = this.data;
    if (d.task !== 'reconstruction' || !d.decoder)
      throw new IpcaeError(
        'ERR_INVALID_ARGUMENT',
        d.task !== 'reconstruction'
          ? `reconstruct needs a reconstruction selector (fitted without a target) but this one is for ${d.task}`
          : isBaselineMethod(d.method)
            ? `a ${d.method} selection has no decoder (its retrained MLP is not kept): fit a selector method (ip-cae, cae, …) to reconstruct`
            : 'this saved selection has no decoder (saved before ipcae 0.2): fit it again to reconstruct',
      );
    const t = readTableSync(input).table;
    const names = t.schema.fields.map((f) => f.name);
    const need = [...new Set(d.features)];
    const missing = need.filter((f) => !names.includes(f));
    if (missing.length)
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the table to reconstruct from; it has ${names.map((m) => `'${m}'`).join(', ')}`);
    const D = d.inputFeatures.length,
      n = t.numRows;
    const x = new Float32Array(n * D);
    for (const f of need) {
      const v = t.getChildAt(names.indexOf(f))!;
      const p = columnPolicy(v.type);
      if (p.kind !== 'numeric') throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected numbers in column '${f}' to reconstruct from but it is ${p.typeName}`);
      const j = d.inputFeatures.indexOf(f);
      const c = numericColumn(v);
      const bad = c.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected finite values in column '${f}' to reconstruct from but row ${bad} is ${c[bad]}`);
      for (let i = 0; i < n; i++) x[i * D + j] = (c[i] - d.scaling.offset[j]) / d.scaling.scale[j];
    }
    const out = await this.predictScaled(x);
    const cols: Record<string, Vector> = {};
    d.inputFeatures.forEach((f, j) => {
      const col = new Float64Array(n);
      for (let i = 0; i < n; i++) col[i] = out[i * D + j] * d.scaling.scale[j] + d.scaling.offset[j];
      cols[f] = makeVector(col);
    });
    return tableFromColumns(cols);
  }

  /** The saved decoder's outputs (rows × D, scaled units) for scaled rows x (rows × D) on this selection. */
  async predictScaled(x: Float32Array): Promise<Float32Array> {
    const d = this.data;
    const dec = d.decoder!;
    await preload();
    const trainer = new Trainer({ selector: 'cae', task: 'reconstruction', inputDim: d.inputFeatures.length, k: d.k, hidden: dec.hidden, seeds: [dec.seed] });
    try {
      const saved = new Float32Array(Uint8Array.from(Buffer.from(dec.values, 'base64')).buffer);
      const flat = new Float64Array(trainer.getParameters().length);
      let at = 0,
        from = 0;
      const byName = new Map(dec.parameters.map((p) => [p.name, p]));
      const offsets = new Map<string, number>();
      for (const p of dec.parameters) {
        offsets.set(p.name, from);
        from += p.shape.reduce((a, b) => a * b, 1);
      }
      for (const p of trainer.parameterLayout()) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        const s = byName.get(p.name);
        if (p.name.startsWith('decoder.')) {
          if (!s || s.shape.join('x') !== p.shape.join('x'))
            throw new IpcaeError('ERR_INVALID_ARGUMENT', `the saved decoder does not match: parameter '${p.name}' ${s ? `has shape ${s.shape.join('×')}, expected ${p.shape.join('×')}` : 'is missing'}`);
          const o = offsets.get(p.name)!;
          for (let i = 0; i < size; i++) flat[at + i] = saved[o + i];
        }
        at += size;
      }
      trainer.setParameters(flat);
      return (await trainer.predict(x, { best: false, selection: [d.indices] }))[0];
    } finally {
      trainer.dispose();
    }
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
