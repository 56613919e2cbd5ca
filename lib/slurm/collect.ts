// Merges the finished shards of a Slurm experiment into one summary and comparison table. Reads only
// complete files (summary.json is written atomically and last), counts every task once (a task that
// ran twice resumed into the same directory; a seed is taken once per dataset · task · method), and
// names the tasks that are missing or failed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readMetrics } from '../experiment/metrics-file.js';
import { summarize, summaryMarkdown, type SeedSummary, type Summary } from '../experiment/summary.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import { compareRuns, readRun, type RunRecord } from '../report/compare.js';
import { readPlan, taskDir, type SlurmTask } from './plan.js';
import { errorFile, readAttempts } from './task.js';

export type TaskFileState = 'finished' | 'failed' | 'checkpointed' | 'started' | 'not started';

export interface TaskProgress {
  index: number;
  id: string;
  state: TaskFileState;
  /** Epochs saved in the checkpoint (checkpointed) or trained (finished). */
  epoch?: number;
  epochs: number;
  attempts: number;
  detail?: string;
}

/** What a task's directory says about it, from complete files only. */
export function taskProgress(dir: string, t: SlurmTask): TaskProgress {
  const d = taskDir(dir, t);
  const attempts = readAttempts(d);
  const base = { index: t.index, id: t.id, epochs: t.cfg.epochs, attempts: attempts.length };
  if (existsSync(path.join(d, 'summary.json'))) return { ...base, state: 'finished', epoch: t.cfg.epochs };
  if (existsSync(errorFile(d))) {
    let detail = 'failed';
    try {
      detail = (JSON.parse(readFileSync(errorFile(d), 'utf8')) as { message: string }).message;
    } catch {}
    return { ...base, state: 'failed', detail };
  }
  if (existsSync(path.join(d, 'state.bin'))) {
    const last = attempts[attempts.length - 1];
    return { ...base, state: 'checkpointed', epoch: metricsEpochs(d), detail: last?.signal ? `stopped by ${last.signal}` : undefined };
  }
  return { ...base, state: attempts.length ? 'started' : 'not started' };
}

/** Epochs recorded with the last checkpoint (metrics.arrow is saved together with state.bin). */
function metricsEpochs(d: string): number | undefined {
  try {
    return readMetrics(readFileSync(path.join(d, 'metrics.arrow'))).length;
  } catch {
    return undefined;
  }
}

/** Merges per-seed summaries of one dataset · task · method (in the plan's seed order). */
export function mergeSummaries(parts: Summary[], seedOrder: number[], k: number): Summary {
  const bySeed = new Map<number, SeedSummary>();
  for (const p of parts) for (const s of p.seeds) if (!bySeed.has(s.seed)) bySeed.set(s.seed, s);
  const seeds = [...bySeed.values()].sort((a, b) => seedOrder.indexOf(a.seed) - seedOrder.indexOf(b.seed));
  const names: string[] = [];
  for (const s of seeds) s.selected.forEach((f, i) => (names[f] = s.selectedNames[i]));
  const secondsTotal = parts.reduce((a, p) => a + p.secondsTotal, 0);
  const merged = summarize({ ...parts[0], k, secondsTotal }, seeds, names);
  const diverged = parts.flatMap((p) => p.diverged ?? []);
  if (diverged.length) merged.diverged = diverged;
  // what says how the metric was obtained (a baseline's retrained MLP) and what the parts warned about
  if (parts[0].evaluation) merged.evaluation = parts[0].evaluation;
  if (parts[0].baselineSettings) merged.baselineSettings = parts[0].baselineSettings;
  const warnings = [...new Set(parts.flatMap((p) => p.warnings ?? []))];
  if (warnings.length) merged.warnings = warnings;
  return merged;
}

export interface CollectResult {
  complete: boolean;
  tasks: TaskProgress[];
  missing: TaskProgress[];
  summaries: Summary[];
  /** Seeds finished / planned per dataset · task · method. */
  coverage: { key: string; seeds: number; planned: number }[];
  table: string;
}

export function collectSlurm(dir: string, opts: { write?: boolean } = {}): CollectResult {
  const plan = readPlan(dir);
  const tasks = plan.tasks.map((t) => taskProgress(plan.dir, t));
  const groups = new Map<string, { tasks: SlurmTask[]; records: RunRecord[] }>();
  for (const t of plan.tasks) {
    const key = `${t.cfg.dataset}\u0000${t.cfg.task}\u0000${t.cfg.method}`;
    const g = groups.get(key) ?? { tasks: [], records: [] };
    g.tasks.push(t);
    if (tasks[t.index].state === 'finished') g.records.push(readRun(taskDir(plan.dir, t)));
    groups.set(key, g);
  }
  const records: RunRecord[] = [];
  const coverage: CollectResult['coverage'] = [];
  for (const g of groups.values()) {
    const seedOrder = g.tasks.flatMap((t) => t.cfg.seeds);
    const label = `${g.tasks[0].cfg.dataset} · ${g.tasks[0].cfg.task} · ${g.tasks[0].cfg.method}`;
    if (g.records.length === 0) {
      coverage.push({ key: label, seeds: 0, planned: seedOrder.length });
      continue;
    }
    // One replica-group task: its run directory as it is (metrics included, for the Table-3 speed-up).
    const rec =
      g.records.length === 1 && g.tasks.length === 1
        ? g.records[0]
        : { dir: plan.dir, summary: mergeSummaries(g.records.map((r) => r.summary), seedOrder, g.tasks[0].cfg.k) };
    coverage.push({ key: label, seeds: rec.summary.seeds.length, planned: seedOrder.length });
    records.push(rec);
  }
  const missing = tasks.filter((t) => t.state !== 'finished');
  const table = records.length ? compareRuns(records) : '(no finished task yet)';
  const result: CollectResult = { complete: missing.length === 0, tasks, missing, summaries: records.map((r) => r.summary), coverage, table };
  if (opts.write ?? true) {
    writeJsonAtomic(path.join(plan.dir, 'summary.json'), {
      complete: result.complete,
      collected: new Date().toISOString(),
      missing: missing.map((m) => ({ index: m.index, id: m.id, state: m.state, detail: m.detail })),
      coverage,
      summaries: result.summaries,
    });
    writeAtomic(path.join(plan.dir, 'summary.md'), collectMarkdown(result));
  }
  return result;
}

export function missingLines(r: CollectResult): string[] {
  return r.missing.map(
    (m) =>
      `  task ${m.index} ${m.id}: ${m.state}${m.state === 'checkpointed' && m.epoch !== undefined ? ` at epoch ${m.epoch}/${m.epochs}` : ''}${m.detail ? ` (${m.detail})` : ''}`,
  );
}

export function collectMarkdown(r: CollectResult): string {
  const lines = [
    `# Slurm experiment: ${r.tasks.length - r.missing.length} of ${r.tasks.length} task(s) finished${r.complete ? '' : ' (incomplete)'}`,
    '',
    r.table,
    '',
  ];
  const partial = r.coverage.filter((c) => c.seeds < c.planned);
  if (partial.length) lines.push('Incomplete rows (seeds finished / planned):', '', ...partial.map((c) => `- ${c.key}: ${c.seeds}/${c.planned}`), '');
  if (r.missing.length) lines.push('Missing or failed tasks:', '', ...missingLines(r).map((l) => `- ${l.trim()}`), '');
  for (const s of r.summaries) lines.push(summaryMarkdown(s));
  return lines.join('\n');
}
