// How alike the seeds' selections are: the pairwise Jaccard index of their selected sets.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA } from './theme.js';
import type { Figure } from './render.js';

export function jaccard(a: number[], b: number[]): number {
  const A = new Set(a),
    B = new Set(b);
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  return inter / (A.size + B.size - inter);
}

/** The seeds × seeds Jaccard matrix as a heatmap with its values; marks `jaccard_cells` (one per pair). */
export function stabilityFigure(opts: { name: string; title: string; seeds: { seed: number; selected: number[] }[] }): Figure {
  const labels = opts.seeds.map((s) => String(s.seed));
  const cells = opts.seeds.flatMap((a) =>
    opts.seeds.map((b) => {
      const j = jaccard(a.selected, b.selected);
      return { a: String(a.seed), b: String(b.seed), j, text: j.toFixed(2), what: `seeds ${a.seed} and ${b.seed}: Jaccard ${j.toFixed(3)}` };
    }),
  );
  const off = cells.filter((c) => c.a !== c.b);
  const mean = off.length ? off.reduce((s, c) => s + c.j, 0) / off.length : 1;
  const x = { field: 'a', type: 'ordinal' as const, sort: labels, title: 'seed', axis: { labelAngle: 0 } };
  const y = { field: 'b', type: 'ordinal' as const, sort: labels, title: 'seed' };
  const step = Math.max(22, Math.min(40, Math.floor(400 / Math.max(1, labels.length))));
  const spec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: opts.title, subtitle: `Jaccard index of the selected sets; mean over pairs ${mean.toFixed(3)}` },
    data: { values: cells },
    width: { step },
    height: { step },
    layer: [
      {
        name: 'jaccard_cells',
        mark: { type: 'rect' as const },
        encoding: { x, y, color: { field: 'j', type: 'quantitative' as const, title: 'Jaccard', scale: { domain: [0, 1], scheme: 'blues' } }, description: { field: 'what' } },
      },
      ...(labels.length <= 16
        ? [{ mark: { type: 'text' as const, fontSize: 9 }, encoding: { x, y, text: { field: 'text' }, color: { condition: { test: 'datum.j > 0.6', value: 'white' }, value: 'black' } } }]
        : []),
    ],
  } as unknown as TopLevelSpec;
  return { name: opts.name, title: opts.title, caption: `Pairwise Jaccard index of the ${labels.length} seeds' selections (mean ${mean.toFixed(3)}).`, spec };
}
