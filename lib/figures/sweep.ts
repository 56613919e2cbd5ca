// Runs that differ in one setting (decoder depth, K, P, λ, epochs): the test metric of every seed
// against that setting, as box plots, one colour per method (the paper's Figures 4, 6 and 7).
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, colourScale, metricWords } from './theme.js';
import type { Figure } from './render.js';

export interface SweepPoint {
  /** The setting's value, as the axis shows it (e.g. '200,200' for two hidden layers). */
  value: string;
  method: string;
  seed: number;
  /** The test metric, in the task's unit (accuracy as a fraction). */
  metric: number;
}

/** Marks: `sweep_boxes` (one box per value × method), `sweep_points` (one per seed). */
export function sweepFigure(opts: { name: string; title: string; task: string; key: string; keyTitle: string; values: string[]; points: SweepPoint[] }): Figure {
  const words = metricWords(opts.task);
  const rows = opts.points.map((p) => ({ ...p, y: p.metric * words.scale, what: `${p.method}, ${opts.keyTitle} ${p.value}, seed ${p.seed}` }));
  const methods = [...new Set(rows.map((r) => r.method))];
  const colour = colourScale(methods);
  const x = { field: 'value', type: 'nominal' as const, sort: opts.values, title: opts.keyTitle, axis: { labelAngle: 0 } };
  const y = { field: 'y', type: 'quantitative' as const, title: `test ${words.name}`, scale: { zero: false } };
  const spec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: opts.title, subtitle: `test ${words.name} of each seed against ${opts.keyTitle}; boxes: quartiles, whiskers: min–max` },
    data: { values: rows },
    width: { step: Math.max(50, 36 * methods.length) },
    height: 260,
    layer: [
      {
        name: 'sweep_boxes',
        mark: { type: 'boxplot' as const, extent: 'min-max' as const, size: 22, median: { color: 'black' } },
        encoding: { x, xOffset: { field: 'method', type: 'nominal' as const, sort: methods }, y, color: { field: 'method', type: 'nominal' as const, scale: colour, title: null } },
      },
      {
        name: 'sweep_points',
        mark: { type: 'point' as const, filled: true, size: 14, opacity: 0.55, color: '#222' },
        encoding: { x, xOffset: { field: 'method', type: 'nominal' as const, sort: methods }, y, description: { field: 'what' } },
      },
    ],
  } as unknown as TopLevelSpec;
  return { name: opts.name, title: opts.title, caption: `Test ${words.name} against ${opts.keyTitle} (${opts.values.join(', ')}), per method.`, spec };
}
