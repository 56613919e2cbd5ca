import { Trainer, type TrainerOptionsInput, type DataInput } from '../lib/index.js';

/** Small deterministic PRNG for test data (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Classification data whose label depends on a few features only. */
export function synthetic(opts: { rows: number; d: number; classes: number; seed: number; informative?: number[] }) {
  const r = rng(opts.seed);
  const inf = opts.informative ?? [0, 1];
  const x = new Float32Array(opts.rows * opts.d);
  const y = new Int32Array(opts.rows);
  for (let i = 0; i < opts.rows; i++) {
    let s = 0;
    for (let d = 0; d < opts.d; d++) x[i * opts.d + d] = normal(r);
    for (const f of inf) s += x[i * opts.d + f];
    // classes by quantiles of the sum of the informative features (sum ~ N(0, |inf|))
    const z = s / Math.sqrt(inf.length);
    const q = 0.5 * (1 + erf(z / Math.SQRT2));
    y[i] = Math.min(opts.classes - 1, Math.floor(q * opts.classes));
  }
  return { x, y };
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

export function splitData(x: Float32Array, y: Int32Array | Float32Array | undefined, d: number, nTrain: number, nVal: number, yWidth = 1): DataInput {
  const rows = x.length / d;
  const part = (a: number, b: number) => ({
    x: x.slice(a * d, b * d),
    y: y ? (y.slice(a * yWidth, b * yWidth) as Int32Array | Float32Array) : undefined,
  });
  return { train: part(0, nTrain), val: part(nTrain, nTrain + nVal), test: part(nTrain + nVal, rows) };
}

export async function tinyTrainer(over: Partial<TrainerOptionsInput> = {}, dataSeed = 5) {
  const d = over.inputDim ?? 12;
  const classes = over.outputDim ?? 3;
  const { x, y } = synthetic({ rows: 96, d, classes, seed: dataSeed });
  const t = new Trainer({ inputDim: d, k: 3, outputDim: classes, hidden: [8], batchSize: 16, seeds: [11], threads: 2, ...over });
  await t.setData(splitData(x, y, d, 64, 16));
  return t;
}
