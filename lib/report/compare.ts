// Tables over methods × datasets in the paper's format (Tables 1–2), the Table-3 speed-up, and
// reading run directories back.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { readMetrics } from '../experiment/metrics-file.js';
import { formatUnique, formatValue, hasResult, type Summary } from '../experiment/summary.js';
import type { EpochMetrics } from '../train/trainer.js';
import { IpcaeError } from '../errors.js';
import { SUGGESTION_RULE, suggestK } from '../stats/sweep.js';
import { paperValue } from './paper.js';
import { DEFAULT_SCHEDULE } from '../train/schedule.js';
import { formatMetric } from '../task.js';

export interface RunRecord {
  dir: string;
  summary: Summary;
  history?: EpochMetrics[];
  /** The run's experiment configuration (config.json), when the directory has one. */
  config?: Record<string, unknown>;
  /** The number of input features D (config.json's trainer options), when recorded. */
  inputDim?: number;
}

export function readRun(dir: string): RunRecord {
  const f = path.join(dir, 'summary.json');
  if (!existsSync(f)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `${dir}: no summary.json (the run has not finished)`);
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(f, 'utf8')) as Summary;
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${f} is not readable JSON (${(e as Error).message}): not the summary of an ipcae run`);
  }
  if (summary === null || typeof summary !== 'object')
    throw new IpcaeError('ERR_DATA', `${f} is not the summary of an ipcae run`);
  if (!Array.isArray(summary.seeds) || typeof summary.mean !== 'number' && summary.mean !== null)
    throw new IpcaeError('ERR_DATA', `${f} is not the summary of a run (a Slurm experiment? compare its directory's tasks, or use ipcae slurm collect)`);
  const m = path.join(dir, 'metrics.arrow');
  const history = existsSync(m) ? readMetrics(readFileSync(m)) : undefined;
  const c = path.join(dir, 'config.json');
  const file = existsSync(c) ? (JSON.parse(readFileSync(c, 'utf8')) as { experiment?: Record<string, unknown>; trainer?: { inputDim?: number } }) : undefined;
  return { dir, summary, history, config: file?.experiment, inputDim: file?.trainer?.inputDim };
}

/** The finished run directories at or below `dir` (a run: config.json and summary.json). */
export function findRuns(dir: string, depth = 4): string[] {
  const isRun = (d: string) => existsSync(path.join(d, 'summary.json')) && existsSync(path.join(d, 'config.json'));
  if (isRun(dir)) return [dir];
  if (depth === 0 || !existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? findRuns(path.join(dir, f), depth - 1) : []));
}

/** Run directories at or below `dir` that have started (config.json) but not finished (no summary.json). */
export function findUnfinished(dir: string, depth = 4): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  if (existsSync(path.join(dir, 'config.json'))) return existsSync(path.join(dir, 'summary.json')) ? [] : [dir];
  if (depth === 0) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? findUnfinished(path.join(dir, f), depth - 1) : []));
}

/**
 * The runs of the given directories: each a run, or a parent whose runs are found inside.
 * onSkipped: told of each unfinished run left out (it has no result yet).
 */
export function readRuns(dirs: string[], onSkipped?: (dir: string) => void): RunRecord[] {
  return dirs.flatMap((d) => {
    if (!existsSync(d)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `${d} does not exist (expected a run directory, or a directory with runs inside)`);
    if (onSkipped) for (const u of findUnfinished(d)) onSkipped(u);
    const found = findRuns(d);
    if (found.length === 0) {
      if (existsSync(path.join(d, 'summary.json'))) return [readRun(d)];
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `${d}: no finished run there or below (a run directory has config.json and summary.json)`);
    }
    return found.map(readRun);
  });
}

// Settings that cannot change a result: runs that differ only in these are the same configuration.
const NOT_RESULTS = new Set(['threads', 'checkpointEvery']);

/** A configuration as 'a.b' → value strings (arrays joined by commas). */
export function flatten(o: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = Array.isArray(o) ? o.join(',') : String(o);
  return out;
}

/**
 * A row label per run: the method, plus the configuration keys in which runs of the same
 * dataset · task · method differ (or the directory, where they do not differ at all).
 */
export function runLabels(runs: RunRecord[]): string[] {
  const key = (r: RunRecord) => `${r.summary.dataset}\u0000${r.summary.task}\u0000${r.summary.method}`;
  return runs.map((r) => {
    const group = runs.filter((x) => key(x) === key(r));
    if (group.length === 1) return r.summary.method;
    const flat = group.map((x) => flatten(x.config ?? {}));
    const mine = flatten(r.config ?? {});
    const differing = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter(
      (k) => !NOT_RESULTS.has(k) && !['dataset', 'task', 'method'].includes(k) && new Set(flat.map((f) => f[k])).size > 1,
    );
    if (differing.length) return `${r.summary.method} (${differing.map((k) => `${k}=${mine[k] === undefined ? '—' : mine[k] === '' ? 'none' : mine[k]}`).join(', ')})`;
    return `${r.summary.method} (${path.basename(r.dir)})`;
  });
}

/**
 * Tables 1–2 as a grid: one row per label (method), one column per dataset · task (as `column`
 * names it), the summary in each cell.
 */
export function resultGrid(summaries: Summary[], labels: string[] = summaries.map((s) => s.method), column = (s: Summary) => `${s.dataset} · ${s.task}`) {
  const cols = [...new Set(summaries.map(column))];
  const rows = [...new Set(labels)];
  const at = (row: string, col: string): Summary | undefined => summaries.find((x, j) => labels[j] === row && column(x) === col);
  return { cols, rows, at };
}

/** One row per method, one column per dataset · task: mean ± std over seeds. */
export function comparisonTable(summaries: Summary[], labels: string[] = summaries.map((s) => s.method)): string {
  const { cols, rows, at } = resultGrid(summaries, labels);
  const cell = (m: string, c: string) => {
    const s = at(m, c);
    if (!s) return '—';
    if (!hasResult(s)) return formatValue(s);
    const p = paperCell(s);
    return `${formatValue(s)} (UP ${formatUnique(s)} %${p ? `; paper ${p}` : ''})`;
  };
  return [
    `| method | ${cols.join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    ...rows.map((m) => `| ${m} | ${cols.map((c) => cell(m, c)).join(' | ')} |`),
  ].join('\n');
}

/** Mean over seeds of the validation loss, per epoch. */
export function meanValLoss(history: EpochMetrics[]): number[] {
  return history.map((h) => h.replicas.reduce((a, r) => a + r.valLoss, 0) / h.replicas.length);
}

/** The paper's published mean ± std for a run's cell (same dataset, task and method), if there is one. */
export function paperCell(s: Summary): string | undefined {
  const p = paperValue(path.basename(s.dataset).replace(/\.[^.]+$/, ''), s.task, s.method);
  return p ? `${formatMetric(s.metric, p[0])} ± ${formatMetric(s.metric, p[1])}` : undefined;
}

/** The paper's runs: 200 epochs (the default schedule's). A shorter CAE run, or one still improving at its end, is no Table-3 reference. */
const PAPER_EPOCHS = DEFAULT_SCHEDULE.epochs;

/**
 * Table 3: the first epoch (1-based) at which the fast run's mean validation loss reaches the
 * best mean validation loss of the slow run over all its epochs, and slowEpochs / that epoch.
 * caveat: why the number is not the paper's kind — the slow run was shorter than the paper's 200
 * epochs, or its loss was still falling (its best in its last tenth): it had not converged.
 */
export function speedUp(slow: EpochMetrics[], fast: EpochMetrics[]): { epochsNeeded: number | null; speedUp: number | null; caveat?: string } {
  const losses = meanValLoss(slow);
  const target = Math.min(...losses);
  const best = losses.indexOf(target);
  const reasons = [
    ...(slow.length < PAPER_EPOCHS ? [`CAE ran ${slow.length} epochs, not the paper's ${PAPER_EPOCHS}`] : []),
    ...(best >= Math.floor(slow.length * 0.9) ? [`CAE's validation loss was still falling at its end (best at epoch ${best + 1} of ${slow.length}): not converged`] : []),
  ];
  const caveat = reasons.length ? `${reasons.join('; ')} — the speed-up is not comparable to the paper's` : undefined;
  const curve = meanValLoss(fast);
  const i = curve.findIndex((v) => v <= target);
  if (i < 0) return { epochsNeeded: null, speedUp: null, ...(caveat ? { caveat } : {}) };
  return { epochsNeeded: i + 1, speedUp: slow.length / (i + 1), ...(caveat ? { caveat } : {}) };
}

export function compareRuns(runs: RunRecord[]): string {
  const labels = runLabels(runs);
  const lines = [comparisonTable(runs.map((r) => r.summary), labels)];
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.summary.dataset} · ${r.summary.task}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const speed: string[] = [];
  for (const [key, rs] of groups) {
    const cae = rs.find((r) => r.summary.method === 'cae');
    const ip = rs.find((r) => r.summary.method === 'ip-cae');
    if (cae?.history && ip?.history) {
      const s = speedUp(cae.history, ip.history);
      speed.push(
        `| ${key} | ${s.epochsNeeded ?? 'not reached'} | ${s.speedUp ? `${s.speedUp.toFixed(1)}×` : '—'} | ${s.caveat ?? '—'} |`,
      );
    }
  }
  // K sweeps: runs of one dataset · task · method that differ in K only.
  const sweeps = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const c = flatten(r.config ?? {});
    const rest = Object.entries(c)
      .filter(([k]) => k !== 'k' && !NOT_RESULTS.has(k))
      .sort(([a], [b]) => a.localeCompare(b));
    const key = JSON.stringify(rest);
    sweeps.set(key, [...(sweeps.get(key) ?? []), r]);
  }
  for (const rs of sweeps.values()) {
    const ks = rs.map((r) => Number(flatten(r.config ?? {}).k));
    if (rs.length < 2 || new Set(ks).size !== rs.length || ks.some((k) => !Number.isFinite(k))) continue;
    const s0 = rs[0].summary;
    const rows = rs.map((r, i) => ({ k: ks[i], mean: r.summary.mean, std: r.summary.std, r })).sort((a, b) => a.k - b.k);
    const valid = rows.filter((x) => hasResult(x.r.summary));
    const chosen = valid.length ? suggestK(valid, s0.metric === 'accuracy') : undefined;
    lines.push(
      '',
      chosen !== undefined
        ? `K sweep: ${s0.dataset} · ${s0.task} · ${s0.method} — suggested K = ${chosen} (${SUGGESTION_RULE}):`
        : `K sweep: ${s0.dataset} · ${s0.task} · ${s0.method} — no K suggested: every run diverged`,
      '',
      '| K | test metric | unique % |',
      '|---|---|---|',
      ...rows.map((x) => `| ${x.k}${x.k === chosen ? ' (suggested)' : ''} | ${formatValue(x.r.summary)} | ${formatUnique(x.r.summary)} |`),
    );
  }
  if (speed.length)
    lines.push('', `Epochs IP-CAE needs to reach CAE's best mean validation loss over ${'its'} epochs (Table 3):`, '', '| dataset · task | epochs | speed-up | caveat |', '|---|---|---|---|', ...speed);
  return lines.join('\n');
}
