// Tabular data: how often each of the most selected features was chosen over the seeds, by name.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA } from './theme.js';
import type { Figure } from './render.js';

/**
 * Bars of selection frequency (share of seeds) for the `top` features, most selected first (ties:
 * higher score first). Scores, when given, ride along as a tick. Marks: `feature_bars`, one per feature.
 */
export function featureFrequencyFigure(opts: {
  name: string;
  title: string;
  seeds: number;
  /** Per feature: name, how many seeds selected it, and its score when the run has scores. */
  features: { feature: string; count: number; score?: number }[];
  top: number;
}): Figure {
  const rows = [...opts.features]
    .sort((a, b) => b.count - a.count || (b.score ?? 0) - (a.score ?? 0) || a.feature.localeCompare(b.feature))
    .slice(0, opts.top)
    .map((f, i) => ({ ...f, rank: i + 1, share: f.count / Math.max(1, opts.seeds), what: `${f.feature}: ${f.count} of ${opts.seeds} seeds${f.score !== undefined ? `, score ${f.score.toFixed(3)}` : ''}` }));
  const hasScore = rows.some((r) => r.score !== undefined);
  // A feature several nodes chose can score above 1 (the scores sum to K).
  const xMax = Math.max(1, ...rows.map((r) => r.score ?? 0));
  const y = { field: 'feature', type: 'nominal' as const, sort: rows.map((r) => r.feature), title: null, axis: { labelLimit: 220 } };
  const spec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: opts.title, subtitle: `the ${rows.length} most selected features over ${opts.seeds} seed(s)${hasScore ? '; tick: score (Σ_k softmax(L_k) over nodes, mean over seeds)' : ''}` },
    data: { values: rows },
    width: 420,
    height: { step: 14 },
    layer: [
      {
        name: 'feature_bars',
        mark: { type: 'bar' as const, color: '#4c78a8' },
        encoding: { y, x: { field: 'share', type: 'quantitative' as const, title: hasScore ? 'share of seeds that selected it (bars); score (ticks)' : 'share of seeds that selected it', scale: { domain: [0, xMax] } }, description: { field: 'what' } },
      },
      ...(hasScore
        ? [{ mark: { type: 'tick' as const, color: '#f58518', thickness: 2 }, encoding: { y, x: { field: 'score', type: 'quantitative' as const } } }]
        : []),
    ],
  } as unknown as TopLevelSpec;
  return { name: opts.name, title: opts.title, caption: `Selection frequency of the ${rows.length} most selected features.`, spec };
}
