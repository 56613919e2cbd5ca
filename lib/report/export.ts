// `ipcae export`: a run's per-epoch metrics and its selections as CSV, Parquet or JSON Lines, for
// pandas, R and spreadsheets (no Arrow reader needed).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Table, makeVector, tableFromArrays, tableFromIPC, type Vector } from 'apache-arrow';
import { taskMetric } from '../task.js';
import { writeTable, type WriteTableOptions } from '../tables/write.js';
import { ensureDir } from '../files/dirs.js';
import { IpcaeError } from '../errors.js';
import { findRuns, readRun } from './compare.js';

export const EXPORT_FORMATS = ['csv', 'parquet', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * metrics.arrow for a reader: one row per (epoch, seed), epochs counted from 1 as the screen and the
 * figures count them, and the validation metric named and scaled as the screen shows it
 * (valAccuracy in %, valMse, valReconstructionError); every other column as in the file.
 */
export function metricsTable(dir: string): Table | undefined {
  const f = path.join(dir, 'metrics.arrow');
  if (!existsSync(f)) return undefined;
  const t = tableFromIPC(readFileSync(f));
  const m = taskMetric(readRun(dir).summary.task);
  const metricName = `val${m.key[0].toUpperCase()}${m.key.slice(1)}`;
  const cols: Record<string, Vector> = {};
  for (const field of t.schema.fields) {
    const v = t.getChild(field.name)!;
    if (field.name === 'epoch') cols.epoch = makeVector(Int32Array.from(v.toArray() as Int32Array, (e) => e + 1));
    else if (field.name === 'valMetric') cols[metricName] = makeVector(Float64Array.from(v.toArray() as Float64Array, (x) => x * m.scale));
    else cols[field.name] = v;
  }
  return new Table(cols);
}

/** One row per (seed, selector node): the feature it selected, by index and name, and its probability. */
export function selectionsTable(dir: string): Table {
  const { summary } = readRun(dir);
  const seed: number[] = [], node: number[] = [], feature: number[] = [], name: string[] = [], probability: number[] = [], distinct: number[] = [];
  for (const s of summary.seeds) {
    const f = path.join(dir, `selection-${s.seed}.json`);
    const sel = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { shape?: [number, number]; probabilities?: number[] }) : undefined;
    const D = sel?.shape?.[1];
    s.selected.forEach((j, k) => {
      seed.push(s.seed);
      node.push(k);
      feature.push(j);
      name.push(s.selectedNames[k]);
      probability.push(D && sel?.probabilities ? sel.probabilities[k * D + j] : NaN);
      distinct.push(s.distinct ? s.distinct.selected[k] : j);
    });
  }
  return tableFromArrays({
    seed: Int32Array.from(seed),
    node: Int32Array.from(node),
    feature: Int32Array.from(feature),
    name,
    probability: Float64Array.from(probability),
    /** The feature of the distinct selection (the same unless argmax repeated a feature in this seed). */
    distinctFeature: Int32Array.from(distinct),
  });
}

/** Writes <out>/metrics.<ext> and <out>/selections.<ext> for each run at or below `dirs`. */
export function exportRuns(dirs: string[], format: ExportFormat, out?: string, opts: WriteTableOptions = {}): { run: string; files: string[] }[] {
  if (!EXPORT_FORMATS.includes(format)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --format ${EXPORT_FORMATS.join(', ')} but received '${format}'`);
  const runs = dirs.flatMap((d) => {
    const found = findRuns(d);
    if (!found.length) throw new IpcaeError('ERR_INVALID_ARGUMENT', `${d}: no finished run there or below (a run directory has config.json and summary.json)`);
    return found.map((r) => ({ root: d, run: r }));
  });
  return runs.map(({ root, run }) => {
    const target = out ? path.join(out, path.relative(root, run)) : path.join(run, 'export');
    ensureDir(target);
    const files: string[] = [];
    const m = metricsTable(run);
    if (m) {
      const f = path.join(target, `metrics.${format}`);
      writeTable(f, m, opts);
      files.push(f);
    }
    const f = path.join(target, `selections.${format}`);
    writeTable(f, selectionsTable(run), opts);
    files.push(f);
    return { run, files };
  });
}
