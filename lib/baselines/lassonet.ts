// LassoNet with the paper's protocol (Section 4.4): the path point with K selected features. Each
// seed walks its own path (all seeds at once in the addon). When a path step drops from more than K
// features to fewer, the seed takes the K features that stayed longest on the path (LassoNet's
// feature importance: the λ at which a feature left), ties broken by the skip weights' norm before
// the drop; its result says so (`exact: false` and the count at the last point with more than K).
// What a seed's choice needs is kept as the path goes (a track), small enough to checkpoint.
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
  /** Set when the first feature left at a λ under twice the path's first λ (see startTooLarge). */
  startTooLarge?: { start: number; firstDrop: number };
}

/**
 * lasso-net/lassonet's own check of its path start: it warns that lambda_start "might be too large"
 * when the first feature leaves at a λ less than twice the path's first λ (the path then has few
 * points before features go, and the dense model's fit is lost early). The start and that λ, or
 * undefined when the start was small enough (or no feature left).
 */
export function startTooLarge(path: LassoNetPointSummary[], inputDim: number): { start: number; firstDrop: number } | undefined {
  const first = path.find((p) => p.selected < inputDim);
  if (!path.length || !first) return undefined;
  return first.lambda / path[0].lambda < 2 ? { start: path[0].lambda, firstDrop: first.lambda } : undefined;
}

/** One seed's path so far, reduced to what its choice of K features needs. */
export interface LassoNetTrack {
  dense?: { valLoss: number; epochs: number };
  path: LassoNetPointSummary[];
  /** λ of the first path point without feature d (null: still selected). A dropped feature never returns. */
  leftAt: (number | null)[];
  /** The first point with exactly K features, else the latest with at least K (the dense model counts). */
  base?: { lambda: number; count: number; thetaNorm: number[] };
}

export function newTrack(): LassoNetTrack {
  return { path: [], leftAt: [] };
}

/** Adds one finished path point (in order) to a seed's track. */
export function trackPoint(t: LassoNetTrack, p: LassoNetPathPoint, k: number): void {
  const norms = Array.from(p.thetaNorm, (v) => Number(v.toPrecision(9)));
  const count = norms.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
  if (t.leftAt.length === 0) t.leftAt = norms.map(() => null);
  if (p.dense) t.dense = { valLoss: p.valLoss, epochs: p.epochs };
  else {
    t.path.push({ lambda: p.lambda, epochs: p.epochs, valLoss: p.valLoss, selected: count });
    norms.forEach((v, d) => {
      if (v === 0 && t.leftAt[d] === null) t.leftAt[d] = p.lambda;
    });
  }
  const exactFound = t.base?.count === k;
  if (!exactFound && count >= k) t.base = { lambda: p.dense ? 0 : p.lambda, count, thetaNorm: norms };
}

/** The K features of a seed from its track. */
export function trackChoice(seed: number, t: LassoNetTrack, k: number): LassoNetSeedResult {
  const base = t.base ?? { lambda: 0, count: 0, thetaNorm: t.leftAt.map(() => 0) };
  const tooLarge = startTooLarge(t.path, t.leftAt.length);
  const order = base.thetaNorm
    .map((v, d) => ({ d, v, left: v > 0 ? (t.leftAt[d] ?? Infinity) : -Infinity }))
    .sort((a, b) => b.left - a.left || b.v - a.v || a.d - b.d);
  return {
    seed,
    lambda: base.lambda,
    count: base.count,
    exact: base.count === k,
    selected: order.slice(0, k).map((o) => o.d),
    denseValLoss: t.dense?.valLoss ?? NaN,
    denseEpochs: t.dense?.epochs ?? 0,
    path: t.path,
    ...(tooLarge ? { startTooLarge: tooLarge } : {}),
  };
}

/** The K features of one seed's whole path (points in order, the dense model first). */
export function lassonetChoice(seed: number, points: LassoNetPathPoint[], k: number): LassoNetSeedResult {
  const t = newTrack();
  for (const p of points) trackPoint(t, p, k);
  return trackChoice(seed, t, k);
}

/** A resumable path: the tracks, and per replica group its seeds (indices) and native state. */
export interface LassoNetCheckpoint {
  epochs: number;
  parts: number[][];
  tracks: LassoNetTrack[];
  /** Per replica group, its native state in parts. */
  states: Buffer[][];
}

export interface LassoNetRunOptions {
  k: number;
  base: Omit<NativeBaselineOptions, 'seeds' | 'lambdas'>;
  seeds: number[];
  /** Walk to the end instead of stopping once fewer than K features are left. */
  fullPath: boolean;
  onProgress?: (info: { epochs: number; counts: number[] }) => void;
  /** Resume from this checkpoint (same options and seeds). */
  resume?: LassoNetCheckpoint;
  /** Called with a checkpoint every `checkpointSeconds` (and when cancelled) — persist it to resume. */
  onCheckpoint?: (c: LassoNetCheckpoint) => void | Promise<void>;
  checkpointSeconds?: number;
  /** Stops between two chunks of epochs (ERR_CANCELLED), after a last checkpoint. */
  signal?: AbortSignal;
}

export async function lassonetPath(o: LassoNetRunOptions, splits: BaselineSplits): Promise<LassoNetSeedResult[]> {
  // The groups of a checkpoint are kept (its states are per group), whatever this machine's cores.
  const parts = o.resume?.parts ?? replicaParts(o.seeds.length, o.base.threads, availableParallelism()).parts;
  const tracks = o.resume?.tracks ?? o.seeds.map(() => newTrack());
  const counts = o.seeds.map(() => o.base.inputDim);
  const models = parts.map(
    (part) => new LassoNetModel({ ...o.base, threads: 1, seeds: part.map((i) => o.seeds[i]), lambdas: part.map(() => 0), stopBelow: o.fullPath ? 0 : o.k }, splits),
  );
  if (o.resume) await Promise.all(models.map((m, i) => m.loadState(o.resume!.states[i])));
  let epochs = o.resume?.epochs ?? 0;
  const checkpoint = async () => {
    if (!o.onCheckpoint) return;
    const states = await Promise.all(models.map((m) => m.saveState()));
    await o.onCheckpoint({ epochs, parts, tracks, states });
  };
  let lastCheckpoint = Date.now();
  const done = parts.map(() => false);
  while (done.some((d) => !d)) {
    if (o.signal?.aborted) {
      await checkpoint();
      throw new IpcaeError('ERR_CANCELLED', `the LassoNet path was cancelled at epoch ${epochs}; a new run resumes it from there`);
    }
    const results = await Promise.all(models.map((m, i) => (done[i] ? undefined : m.advance(50))));
    results.forEach((r, i) => {
      if (!r) return;
      for (const p of r.points) trackPoint(tracks[parts[i][p.replica]], p, o.k);
      parts[i].forEach((seedIndex, j) => (counts[seedIndex] = r.counts[j]));
      epochs = Math.max(epochs, r.epochs);
      done[i] = r.done;
    });
    o.onProgress?.({ epochs, counts: [...counts] });
    if (Date.now() - lastCheckpoint >= (o.checkpointSeconds ?? 30) * 1000) {
      await checkpoint();
      lastCheckpoint = Date.now();
    }
  }
  return o.seeds.map((seed, i) => trackChoice(seed, tracks[i], o.k));
}
