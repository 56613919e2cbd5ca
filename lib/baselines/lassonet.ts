// LassoNet with the paper's protocol (Section 4.4): the path point with K selected features. Each
// seed walks its own path (all seeds at once in the addon). When a path step drops from more than K
// features to fewer, the seed takes the K features that stayed longest on the path (LassoNet's
// feature importance: the λ at which a feature left), ties broken by the skip weights' norm before
// the drop; its result says so (`exact: false` and the count at the last point with more than K).
import { IpcaeError } from '../errors.js';
import { LassoNetModel, type BaselineSplits, type LassoNetPathPoint } from './native.js';
import { availableParallelism } from 'node:os';
import { replicaParts, type NativeBaselineOptions } from './options.js';

export interface LassoNetPointSummary {
  lambda: number;
  epochs: number;
  valLoss: number;
  selected: number;
}

export interface LassoNetSeedResult {
  seed: number;
  /** λ of the point used, and its feature count (K when exact). */
  lambda: number;
  count: number;
  exact: boolean;
  selected: number[];
  denseValLoss: number;
  denseEpochs: number;
  path: LassoNetPointSummary[];
}

/** The K features of one seed's path (points in order, the dense model first). */
export function lassonetChoice(seed: number, points: LassoNetPathPoint[], k: number): LassoNetSeedResult {
  const dense = points.find((p) => p.dense);
  const path = points.filter((p) => !p.dense);
  const count = (p: LassoNetPathPoint) => p.thetaNorm.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  const summary = path.map((p) => ({ lambda: p.lambda, epochs: p.epochs, valLoss: p.valLoss, selected: count(p) }));
  const exact = path.find((p) => count(p) === k);
  // the last point with at least K features (the dense model if the first step already dropped below)
  const withK = [dense, ...path].filter((p): p is LassoNetPathPoint => p !== undefined && count(p) >= k);
  const base = exact ?? withK.at(-1) ?? points[0];
  // λ at which each feature left the path (Infinity: never)
  const left = new Array<number>(base.thetaNorm.length).fill(Infinity);
  for (let i = path.indexOf(base) + 1; i < path.length; i++)
    path[i].thetaNorm.forEach((v, d) => {
      if (v === 0 && left[d] === Infinity && base.thetaNorm[d] > 0) left[d] = path[i].lambda;
    });
  const order = Array.from(base.thetaNorm, (v, d) => ({ d, v, left: base.thetaNorm[d] > 0 ? left[d] : -Infinity }))
    .sort((a, b) => b.left - a.left || b.v - a.v || a.d - b.d);
  return {
    seed,
    lambda: base.lambda,
    count: count(base),
    exact: count(base) === k,
    selected: order.slice(0, k).map((o) => o.d),
    denseValLoss: dense?.valLoss ?? NaN,
    denseEpochs: dense?.epochs ?? 0,
    path: summary,
  };
}

export interface LassoNetRunOptions {
  k: number;
  base: Omit<NativeBaselineOptions, 'seeds' | 'lambdas'>;
  seeds: number[];
  /** Walk to the end instead of stopping once fewer than K features are left. */
  fullPath: boolean;
  onProgress?: (info: { epochs: number; counts: number[] }) => void;
  /** Stops between two chunks of epochs (ERR_CANCELLED); a path is not resumable (it starts over). */
  signal?: AbortSignal;
}

export async function lassonetPath(o: LassoNetRunOptions, splits: BaselineSplits): Promise<LassoNetSeedResult[]> {
  const { parts, threads } = replicaParts(o.seeds.length, o.base.threads, availableParallelism());
  const points: LassoNetPathPoint[][] = o.seeds.map(() => []);
  const counts = o.seeds.map(() => o.base.inputDim);
  let epochs = 0;
  await Promise.all(
    parts.map(async (part) => {
      const model = new LassoNetModel({ ...o.base, threads, seeds: part.map((i) => o.seeds[i]), lambdas: part.map(() => 0), stopBelow: o.fullPath ? 0 : o.k }, splits);
      for (;;) {
        if (o.signal?.aborted) throw new IpcaeError('ERR_CANCELLED', 'the LassoNet path was cancelled; a new run starts it over');
        const r = await model.advance(50);
        for (const p of r.points) points[part[p.replica]].push(p);
        part.forEach((i, r2) => (counts[i] = r.counts[r2]));
        epochs = Math.max(epochs, r.epochs);
        o.onProgress?.({ epochs, counts: [...counts] });
        if (r.done) break;
      }
    }),
  );
  return o.seeds.map((seed, i) => lassonetChoice(seed, points[i], o.k));
}
