// Where the selected features sit on the image, for image data: per pixel, the share of seeds that
// selected it over the mean training image, the consensus pixels outlined; below, one small map
// per seed with exactly its selected pixels.
import type { TopLevelSpec } from 'vega-lite';
import { IpcaeError } from '../errors.js';
import { CONFIG, SCHEMA } from './theme.js';
import type { Figure } from './render.js';

/** An image layout: H × W pixels, and where feature j (by index and name) sits. */
export interface ImageShape {
  height: number;
  width: number;
  /** [row, column] of a feature, or undefined when it is not a pixel of this image. */
  position(index: number, name: string): [number, number] | undefined;
}

/** The paper's image datasets: their side lengths (pixel names carry row and column). */
const IMAGE_DATASETS: Record<string, [number, number]> = {
  mnist: [28, 28],
  'fashion-mnist': [28, 28],
  'mnist-embedded': [28, 28],
  coil20: [32, 32],
};

const PIXEL_NAME = /^pixel_(\d+)_(\d+)$/;

/** Parses `--image-shape HxW`. */
export function parseImageShape(text: string, what = '--image-shape'): [number, number] {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected ${what} as HxW (two positive integers, e.g. 28x28) but received '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * The image layout of a run's features, or undefined for tabular data. A given shape (HxW) reads
 * feature j as row-major pixel j, and needs H·W = D; otherwise names `pixel_<row>_<col>` give the
 * positions (all D names, or the selected ones of a paper image dataset, whose size is known).
 */
export function imageShapeFor(dataset: string, inputDim: number, names: string[] | undefined, given?: [number, number]): ImageShape | undefined {
  if (given) {
    const [h, w] = given;
    if (h * w !== inputDim)
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --image-shape ${h}x${w} to hold the ${inputDim} features of ${dataset} but it holds ${h * w} pixels`);
    return rowMajor([h, w]);
  }
  const known = IMAGE_DATASETS[dataset];
  const parsed = (names ?? []).map((n) => PIXEL_NAME.exec(n));
  const pixelNames = parsed.length > 0 && parsed.every(Boolean);
  if (pixelNames && (known || names!.length === inputDim)) {
    const [h, w] = known ?? [Math.max(...parsed.map((m) => Number(m![1]))) + 1, Math.max(...parsed.map((m) => Number(m![2]))) + 1];
    if (h * w !== inputDim) return undefined; // pixel-like names that do not tile an image
    return {
      height: h,
      width: w,
      position: (_j, name) => {
        const m = PIXEL_NAME.exec(name);
        return m && Number(m[1]) < h && Number(m[2]) < w ? [Number(m[1]), Number(m[2])] : undefined;
      },
    };
  }
  return known && known[0] * known[1] === inputDim ? rowMajor(known) : undefined;
}

const rowMajor = ([h, w]: [number, number]): ImageShape => ({ height: h, width: w, position: (j) => [Math.floor(j / w), j % w] });

export interface MapSeed {
  seed: number;
  selected: number[];
  selectedNames: string[];
}

/**
 * The selection-map figure. Marks: `frequency` (one rect per pixel some seed selected), `consensus`
 * (one square per consensus pixel), `seed_pixels` (per seed, one rect per distinct selected pixel,
 * labelled 'seed S: name').
 */
export function selectionMapFigure(opts: {
  name: string;
  title: string;
  shape: ImageShape;
  seeds: MapSeed[];
  /** The consensus features (names): the K most often selected. */
  consensus: string[];
  /** The mean training image, one value per feature with its name (optional background). */
  mean?: { names: string[]; values: number[] };
}): Figure {
  const { shape } = opts;
  const cellPx = Math.max(4, Math.min(14, Math.floor(400 / Math.max(shape.height, shape.width))));
  const smallPx = Math.max(2, Math.min(5, Math.floor(140 / Math.max(shape.height, shape.width))));
  const at = (j: number, name: string) => {
    const p = shape.position(j, name);
    if (!p) throw new IpcaeError('ERR_DATA', `feature ${j} (${name}) is not a pixel of a ${shape.height}×${shape.width} image`);
    return p;
  };
  const counts = new Map<string, { r: number; c: number; name: string; count: number }>();
  const perSeed: { seed: string; r: number; c: number; r1: number; c1: number; what: string }[] = [];
  const seedLabels: string[] = [];
  for (const s of opts.seeds) {
    const seen = new Map<number, string>();
    s.selected.forEach((f, k) => seen.set(f, s.selectedNames[k] ?? String(f)));
    const label = `seed ${s.seed} · ${seen.size} pixel${seen.size === 1 ? '' : 's'}${seen.size < s.selected.length ? ` (K = ${s.selected.length}, repeats)` : ''}`;
    seedLabels.push(label);
    for (const [f, name] of seen) {
      const [r, c] = at(f, name);
      perSeed.push({ seed: label, r, c, r1: r + 1, c1: c + 1, what: `seed ${s.seed}: ${name}` });
      const e = counts.get(name) ?? { r, c, name, count: 0 };
      e.count++;
      counts.set(name, e);
    }
  }
  const n = opts.seeds.length;
  const freq = [...counts.values()].map((e) => ({ ...e, r1: e.r + 1, c1: e.c + 1, share: e.count / n, what: `${e.name}: ${e.count} of ${n} seeds` }));
  const consensus = opts.consensus.flatMap((name) => {
    const e = counts.get(name);
    return e ? [{ r: e.r + 0.5, c: e.c + 0.5, what: `consensus ${name}` }] : [];
  });
  const background = opts.mean
    ? opts.mean.values.map((v, j) => {
        const [r, c] = at(j, opts.mean!.names[j]);
        return { r, c, r1: r + 1, c1: c + 1, v };
      })
    : [];
  const xs = { field: 'c', type: 'quantitative' as const, scale: { domain: [0, shape.width] }, axis: null, title: null };
  const ys = { field: 'r', type: 'quantitative' as const, scale: { domain: [shape.height, 0] }, axis: null, title: null };
  const main = {
    width: shape.width * cellPx,
    height: shape.height * cellPx,
    title: { text: `selection frequency over ${n} seed(s)`, fontSize: 12 },
    layer: [
      ...(background.length
        ? [
            {
              name: 'mean_image',
              data: { values: background },
              mark: { type: 'rect' as const },
              encoding: {
                x: xs,
                x2: { field: 'c1' },
                y: ys,
                y2: { field: 'r1' },
                color: { field: 'v', type: 'quantitative' as const, scale: { range: ['#ffffff', '#7a7a7a'] }, legend: null },
              },
            },
          ]
        : []),
      {
        name: 'frequency',
        data: { values: freq },
        mark: { type: 'rect' as const, opacity: 0.9 },
        encoding: {
          x: xs,
          x2: { field: 'c1' },
          y: ys,
          y2: { field: 'r1' },
          fill: { field: 'share', type: 'quantitative' as const, title: 'share of seeds', scale: { domain: [0, 1], scheme: 'reds' } },
          description: { field: 'what' },
        },
      },
      {
        name: 'consensus',
        data: { values: consensus },
        mark: { type: 'square' as const, filled: false, stroke: '#000', strokeWidth: 1.2, size: (cellPx - 1) ** 2 },
        encoding: { x: { field: 'c', type: 'quantitative' as const, scale: { domain: [0, shape.width] }, axis: null }, y: ys, description: { field: 'what' } },
      },
    ],
    resolve: { scale: { color: 'independent' as const } },
  };
  const small = {
    data: { values: perSeed },
    facet: { field: 'seed', type: 'nominal' as const, title: null, sort: seedLabels, header: { labelFontSize: 10 } },
    columns: 5,
    spec: {
      width: shape.width * smallPx,
      height: shape.height * smallPx,
      name: 'seed_pixels',
      mark: { type: 'rect' as const, color: '#c0392b' },
      encoding: { x: xs, x2: { field: 'c1' }, y: ys, y2: { field: 'r1' }, description: { field: 'what' } },
    },
  };
  const spec = {
    $schema: SCHEMA,
    config: { ...CONFIG, view: { stroke: '#999', fill: '#f7f7f7' } },
    title: {
      text: opts.title,
      subtitle: `${consensus.length} consensus pixels (the K most often selected) outlined${background.length ? '; grey: the mean training image' : ''}; below, each seed's selected pixels`,
    },
    vconcat: [main, small],
  } as unknown as TopLevelSpec;
  return {
    name: opts.name,
    title: opts.title,
    caption: `Selection frequency per pixel over ${n} seed(s) on a ${shape.height}×${shape.width} image; ${consensus.length} consensus pixels outlined; one map per seed.`,
    spec,
  };
}
