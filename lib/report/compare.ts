// Tables over methods × datasets in the paper's format (Tables 1–2), the Table-3 speed-up, and
// reading run directories back.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readMetrics } from '../experiment/metrics-file.js';
import { formatValue, type Summary } from '../experiment/summary.js';
import type { EpochMetrics } from '../train/trainer.js';
import { IpcaeError } from '../errors.js';

export interface RunRecord {
  dir: string;
  summary: Summary;
  history?: EpochMetrics[];
}

export function readRun(dir: string): RunRecord {
  const f = path.join(dir, 'summary.json');
  if (!existsSync(f)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `${dir}: no summary.json (the run has not finished)`);
  const summary = JSON.parse(readFileSync(f, 'utf8')) as Summary;
  const m = path.join(dir, 'metrics.arrow');
  const history = existsSync(m) ? readMetrics(readFileSync(m)) : undefined;
  return { dir, summary, history };
}

/** One row per method, one column per dataset · task: mean ± std over seeds. */
export function comparisonTable(summaries: Summary[]): string {
  const cols = [...new Set(summaries.map((s) => `${s.dataset} · ${s.task}`))];
  const methods = [...new Set(summaries.map((s) => s.method))];
  const cell = (m: string, c: string) => {
    const s = summaries.find((x) => x.method === m && `${x.dataset} · ${x.task}` === c);
    return s ? `${formatValue(s)} (UP ${s.meanUniquePct.toFixed(0)} %)` : '—';
  };
  return [
    `| method | ${cols.join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    ...methods.map((m) => `| ${m} | ${cols.map((c) => cell(m, c)).join(' | ')} |`),
  ].join('\n');
}

/** Mean over seeds of the validation loss, per epoch. */
export function meanValLoss(history: EpochMetrics[]): number[] {
  return history.map((h) => h.replicas.reduce((a, r) => a + r.valLoss, 0) / h.replicas.length);
}

/**
 * Table 3: the first epoch (1-based) at which the fast run's mean validation loss reaches the
 * best mean validation loss of the slow run over all its epochs, and slowEpochs / that epoch.
 */
export function speedUp(slow: EpochMetrics[], fast: EpochMetrics[]): { epochsNeeded: number | null; speedUp: number | null } {
  const target = Math.min(...meanValLoss(slow));
  const curve = meanValLoss(fast);
  const i = curve.findIndex((v) => v <= target);
  if (i < 0) return { epochsNeeded: null, speedUp: null };
  return { epochsNeeded: i + 1, speedUp: slow.length / (i + 1) };
}

export function compareRuns(runs: RunRecord[]): string {
  const lines = [comparisonTable(runs.map((r) => r.summary))];
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
        `| ${key} | ${s.epochsNeeded ?? 'not reached'} | ${s.speedUp ? `${s.speedUp.toFixed(1)}×` : '—'} |`,
      );
    }
  }
  if (speed.length)
    lines.push('', `Epochs IP-CAE needs to reach CAE's best mean validation loss over ${'its'} epochs (Table 3):`, '', '| dataset · task | epochs | speed-up |', '|---|---|---|', ...speed);
  return lines.join('\n');
}
