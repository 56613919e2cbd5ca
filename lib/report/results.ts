// docs/results.md-style rows: ours beside the paper's, the gap in units of the paper's std.
import type { Summary } from '../experiment/summary.js';
import { paperValue } from './paper.js';
import { formatMetric } from '../task.js';

export function resultRows(summaries: Summary[], machine: string): string {
  const fmt = (s: Summary, v: number) => formatMetric(s.metric, v);
  const lines = [
    '| dataset | task | method | ours (mean ± std) | paper | Δ | Δ / paper std | unique % | s per run (10 seeds) | machine |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    const p = paperValue(s.dataset, s.task, s.method);
    const gap = p ? ((s.mean - p[0]) / p[1]).toFixed(1) : '—';
    // Δ in points (accuracy) or in the metric's own unit (reconstruction error)
    const delta = p ? (s.metric === 'accuracy' ? `${s.mean - p[0] >= 0 ? '+' : ''}${(s.mean - p[0]).toFixed(2)}` : `${s.mean - p[0] >= 0 ? '+' : ''}${(s.mean - p[0]).toExponential(1)}`) : '—';
    const method = s.evaluation ? `${s.method} (retrained MLP)` : s.method;
    lines.push(
      `| ${s.dataset} | ${s.task} | ${method} | ${fmt(s, s.mean)} ± ${fmt(s, s.std)} | ${p ? `${fmt(s, p[0])} ± ${fmt(s, p[1])}` : 'not published'} | ${delta} | ${gap} | ${s.meanUniquePct.toFixed(1)} | ${s.secondsTotal.toFixed(0)} | ${machine} |`,
    );
  }
  return lines.join('\n');
}
