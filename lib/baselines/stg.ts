// STG with the paper's protocol (Section 4.4): λ chosen so that exactly K gates stay open. Every
// seed searches its own λ: a first grid of λ values trained side by side, then bisection in log λ
// between the largest λ that left more than K gates open and the smallest that left fewer. A seed
// that never lands on K exactly takes the K largest μ of its closest try with at least K open gates
// (said in its result: `exact: false` and the count it reached).
import { IpcaeError } from '../errors.js';
import { StgModel, type BaselineSplits, type StgEpochReport } from './native.js';
import { availableParallelism } from 'node:os';
import { replicaParts, type NativeBaselineOptions, type StgSettings } from './options.js';

export interface StgTry {
  lambda: number;
  /** Gates open at the end (μ > −0.5). */
  open: number;
  valLoss: number;
  valMetric: number;
  /** μ per feature at the end of training. */
  mu: number[];
}

export interface StgSeedResult {
  seed: number;
  lambda: number;
  open: number;
  exact: boolean;
  /** The K features, by decreasing μ. */
  selected: number[];
  tries: StgTry[];
}

export interface StgSearchState {
  /** Tries per seed, in the order they were trained (a resumed search continues from them). */
  tries: Record<string, StgTry[]>;
  rounds: number;
}

const GRID = 3;

/**
 * The next λ to try for a seed, or undefined when its search is over. Between the bracket's ends
 * (the largest λ that left more than K gates open, the smallest that left fewer) the count falls
 * roughly linearly in log(count + ½) against log(λ): the next λ interpolates there, kept inside
 * the middle 80 % of the bracket so that a bad guess cannot stall the search. The search stops when
 * the bracket is narrower than 0.2 % in λ: near K the count is noisy (gates close in groups, and a
 * run's count is not monotone in λ at that scale), so some seeds have no λ giving exactly K.
 */
export function nextLambda(tries: StgTry[], k: number): number | undefined {
  if (tries.some((t) => t.open === k)) return undefined;
  const above = tries.filter((t) => t.open > k).sort((a, b) => b.lambda - a.lambda)[0]; // too many open: λ too small
  const below = tries.filter((t) => t.open < k).sort((a, b) => a.lambda - b.lambda)[0];
  if (above && below) {
    if (below.lambda <= above.lambda * 1.002) return undefined; // no room left (or counts not monotone here)
    const [la, lb] = [Math.log(above.lambda), Math.log(below.lambda)];
    const [ca, cb, ck] = [Math.log(above.open + 0.5), Math.log(below.open + 0.5), Math.log(k + 0.5)];
    const f = Math.min(0.9, Math.max(0.1, (ca - ck) / (ca - cb)));
    return Math.exp(la + f * (lb - la));
  }
  if (above) return above.lambda * 10; // every λ left too many gates open
  if (below) return below.lambda / 10;
  return undefined;
}

/** The result of a seed's tries: an exact hit (best validation loss among them) or the closest try with ≥ K open. */
export function stgChoice(seed: number, tries: StgTry[], k: number): StgSeedResult {
  const exact = tries.filter((t) => t.open === k).sort((a, b) => a.valLoss - b.valLoss);
  const atLeast = tries.filter((t) => t.open >= k).sort((a, b) => a.open - b.open || a.valLoss - b.valLoss);
  const most = [...tries].sort((a, b) => b.open - a.open);
  const pick = exact[0] ?? atLeast[0] ?? most[0];
  const order = pick.mu.map((m, d) => ({ m, d })).sort((a, b) => b.m - a.m || a.d - b.d);
  return { seed, lambda: pick.lambda, open: pick.open, exact: pick.open === k, selected: order.slice(0, k).map((o) => o.d), tries };
}

export interface StgSearchOptions {
  k: number;
  epochs: number;
  settings: StgSettings;
  /** Options for the addon, lambdas and seeds aside. */
  base: Omit<NativeBaselineOptions, 'seeds' | 'lambdas'>;
  seeds: number[];
  state?: StgSearchState;
  /** After each round (persist `state` here to resume). */
  onRound?: (state: StgSearchState, info: { round: number; trained: { seed: number; lambda: number; open: number }[]; seconds: number }) => void | Promise<void>;
  onEpoch?: (done: number, total: number) => void;
  /** Stops between two chunks of epochs (ERR_CANCELLED); finished rounds stay in `state`. */
  signal?: AbortSignal;
}

export async function stgSearch(o: StgSearchOptions, splits: BaselineSplits): Promise<StgSeedResult[]> {
  const state: StgSearchState = o.state ?? { tries: {}, rounds: 0 };
  for (const s of o.seeds) state.tries[String(s)] ??= [];
  const { lambdaMin, lambdaMax, rounds } = o.settings;
  while (state.rounds <= rounds) {
    const jobs: { seed: number; lambda: number }[] = [];
    for (const seed of o.seeds) {
      const tries = state.tries[String(seed)];
      if (state.rounds === 0 && tries.length === 0) {
        for (let i = 0; i < GRID; i++) jobs.push({ seed, lambda: lambdaMin * Math.pow(lambdaMax / lambdaMin, i / (GRID - 1)) });
      } else {
        const l = nextLambda(tries, o.k);
        if (l !== undefined) jobs.push({ seed, lambda: l });
      }
    }
    if (jobs.length === 0) break;
    const t0 = Date.now();
    const { parts, threads } = replicaParts(jobs.length, o.base.threads, availableParallelism());
    const models = parts.map((p) => new StgModel({ ...o.base, threads, seeds: p.map((i) => jobs[i].seed), lambdas: p.map((i) => jobs[i].lambda) }, splits));
    const last: StgEpochReport[] = [];
    const chunk = 10;
    for (let e = 0; e < o.epochs; e += chunk) {
      if (o.signal?.aborted) throw new IpcaeError('ERR_CANCELLED', `the STG λ search was cancelled in round ${state.rounds + 1}; the ${state.rounds} finished round(s) are kept`);
      const reps = await Promise.all(models.map((m) => m.runEpochs(Math.min(chunk, o.epochs - e))));
      reps.forEach((r, i) => (last[i] = r.at(-1)!));
      o.onEpoch?.(Math.min(o.epochs, e + chunk), o.epochs);
    }
    const D = o.base.inputDim;
    const trained: { seed: number; lambda: number; open: number }[] = [];
    parts.forEach((p, m) => {
      const mu = models[m].mu();
      p.forEach((i, r) => {
        const j = jobs[i];
        state.tries[String(j.seed)].push({
          lambda: j.lambda,
          open: last[m].open[r],
          valLoss: last[m].valLoss[r],
          valMetric: last[m].valMetric[r],
          mu: Array.from(mu.subarray(r * D, (r + 1) * D), (v) => Number(v.toPrecision(7))),
        });
        trained.push({ ...j, open: last[m].open[r] });
      });
    });
    state.rounds++;
    await o.onRound?.(state, { round: state.rounds, trained, seconds: (Date.now() - t0) / 1000 });
  }
  return o.seeds.map((seed) => stgChoice(seed, state.tries[String(seed)], o.k));
}
