// The baselines (STG, LassoNet) and the retrain evaluation: gradients, the operator, the path,
// the λ search, planted features, runs (resume, retrain option).
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  StgModel,
  LassoNetModel,
  retrainNative,
  hierProx,
  hierProxStart,
  toNativeSplits,
  nativeBaselineOptions,
  stgSettingsSchema,
  stgSearch,
  nextLambda,
  lassonetPath,
  startTooLarge,
  replicaParts,
  runExperiment,
  resolveExperimentConfig,
  IpcaeError,
} from './exports.js';
import { rng, normal, synthetic, pipelineTable } from './helpers.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ipcae-baselines-'));

/** A small prepared dataset: D features, the class depends on `informative` only. */
function planted(opts: { rows: number; d: number; classes: number; seed: number; informative: number[] }) {
  const { x, y } = synthetic(opts);
  const nTrain = Math.floor(opts.rows * 0.6), nVal = Math.floor(opts.rows * 0.2);
  const part = (a: number, b: number) => ({ x: x.slice(a * opts.d, b * opts.d), y: y.slice(a, b) });
  return {
    name: 'planted',
    featureNames: Array.from({ length: opts.d }, (_, i) => `f${i}`),
    classNames: Array.from({ length: opts.classes }, (_, i) => `c${i}`),
    inputDim: opts.d,
    classes: opts.classes,
    train: part(0, nTrain),
    val: part(nTrain, nTrain + nVal),
    test: part(nTrain + nVal, opts.rows),
    indices: { train: [...Array(nTrain).keys()], val: [...Array(nVal).keys()], test: [...Array(opts.rows - nTrain - nVal).keys()] },
    sources: [{ file: 'planted', sha256: String(opts.seed) }],
  };
}

test('STG: gradients of the objective (gated forward pass + λ · mean Φ((μ + 0.5)/σ)) match finite differences (float64)', () => {
  const data = planted({ rows: 60, d: 6, classes: 3, seed: 3, informative: [1, 4] });
  const o = nativeBaselineOptions({ task: 'classification', inputDim: 6, outputDim: 3, seeds: [7, 8], lambdas: [0.7, 2.5], hidden: 5, batchSize: 12, dtype: 'float64' });
  const m = new StgModel(o, toNativeSplits(data, 'classification'));
  // move μ off 0 so that some gates sit inside (0, 1) and the regulariser's slope is not symmetric
  const p0 = m.parameters();
  const mu = Float64Array.from(p0.mu, (_, i) => 0.3 * Math.sin(i + 1));
  m.setParameters('mu', mu);
  const step = 5;
  const g = m.objective(step);
  const f = (name: 'mu' | 'W1', values: Float64Array, i: number, h: number) => {
    const v = Float64Array.from(values);
    v[i] += h;
    m.setParameters(name, v);
    const obj = m.objective(step).objective;
    m.setParameters(name, values);
    return obj;
  };
  const h = 1e-6;
  let checked = 0;
  for (let i = 0; i < mu.length; i++) {
    const r = Math.floor(i / 6);
    const fd = (f('mu', mu, i, h)[r] - f('mu', mu, i, -h)[r]) / (2 * h);
    assert.ok(Math.abs(fd - g.dMu[i]) <= 1e-6 * Math.max(1, Math.abs(fd)), `d/dmu[${i}]: finite difference ${fd}, analytic ${g.dMu[i]}`);
    checked++;
  }
  const W1 = m.parameters().W1;
  const perReplica = W1.length / 2;
  for (const i of [0, 3, 11, 17, perReplica + 2, perReplica + 29]) {
    const r = Math.floor(i / perReplica);
    const fd = (f('W1', W1, i, h)[r] - f('W1', W1, i, -h)[r]) / (2 * h);
    assert.ok(Math.abs(fd - g.dW1[i]) <= 1e-6 * Math.max(1, Math.abs(fd)), `d/dW1[${i}]: finite difference ${fd}, analytic ${g.dW1[i]}`);
    checked++;
  }
  assert.equal(checked, 18);
});

test('STG: test-time gates are clamp(μ + 0.5, 0, 1): the open count is #{μ > −0.5}; a replica does not depend on its group', async () => {
  const data = planted({ rows: 80, d: 8, classes: 2, seed: 4, informative: [2] });
  const splits = toNativeSplits(data, 'classification');
  const base = { task: 'classification', inputDim: 8, outputDim: 2, hidden: 6, batchSize: 16 };
  const a = new StgModel(nativeBaselineOptions({ ...base, seeds: [5, 6, 5], lambdas: [3, 1, 0.5], threads: 1 }), splits);
  const b = new StgModel(nativeBaselineOptions({ ...base, seeds: [5], lambdas: [0.5], threads: 1 }), splits);
  const ra = await a.runEpochs(4);
  const rb = await b.runEpochs(4);
  const muA = a.mu(), muB = b.mu();
  for (let r = 0; r < 3; r++) assert.equal(ra.at(-1)!.open[r], Array.from(muA.subarray(r * 8, (r + 1) * 8)).filter((m) => m > -0.5).length);
  // replica 2 of group a (seed 5, λ 0.5) is bit-identical to group b's only replica
  assert.deepEqual(Array.from(muA.subarray(16, 24)), Array.from(muB));
  assert.equal(ra.at(-1)!.valLoss[2], rb.at(-1)!.valLoss[0]);
  // and evaluating twice changes nothing (no noise at test time)
  const again = await b.runEpochs(0);
  assert.equal(again.length, 0);
  assert.deepEqual(Array.from(b.mu()), Array.from(muB));
});

/** Brute force of Hier-Prox's defining problem for one feature: minimise over r = ||b|| ≥ 0 (b along v, W the clip of u). */
function bruteProx(v: number[], u: number[], lambda: number, M: number) {
  const nv = Math.hypot(...v);
  const f = (r: number) => 0.5 * (r - nv) ** 2 + lambda * r + 0.5 * u.reduce((s, x) => s + (Math.abs(x) - Math.min(Math.abs(x), M * r)) ** 2, 0);
  const hi = nv + M * u.reduce((s, x) => s + Math.abs(x), 0) + 1;
  let best = 0, fb = f(0);
  const n = 20000;
  for (let i = 1; i <= n; i++) {
    const r = (hi * i) / n;
    const fr = f(r);
    if (fr < fb) [best, fb] = [r, fr];
  }
  // golden-section refinement around the grid minimum
  let a = Math.max(0, best - hi / n), b = best + hi / n;
  for (let i = 0; i < 200; i++) {
    const c = b - (b - a) / 1.618033988749895, d = a + (b - a) / 1.618033988749895;
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  const r = f((a + b) / 2) < fb ? (a + b) / 2 : best;
  return { r, objective: f(r), f };
}

test('Hier-Prox matches a brute-force solution of its defining optimisation', () => {
  const r = rng(17);
  let cases = 0, dropped = 0, kept = 0;
  for (const [O, M, scale] of [[1, 10, 0.3], [3, 10, 0.3], [2, 1, 1], [1, 3, 0.05]] as const) {
    const R = 3, D = 5, H = 4;
    const theta = Float64Array.from({ length: R * O * D }, () => scale * normal(r));
    const W = Float64Array.from({ length: R * D * H }, () => normal(r) * (r() < 0.5 ? 0.05 : 1));
    const lambda = Float64Array.from({ length: R }, (_, i) => [0.01, 0.5, 30][i] * scale);
    const out = hierProx(theta, W, lambda, { R, O, D, H }, M);
    for (let rr = 0; rr < R; rr++)
      for (let j = 0; j < D; j++) {
        const v = Array.from({ length: O }, (_, o) => theta[rr * O * D + o * D + j]);
        const u = Array.from({ length: H }, (_, h) => W[rr * D * H + j * H + h]);
        const got = Math.hypot(...Array.from({ length: O }, (_, o) => out.theta[rr * O * D + o * D + j]));
        const gotW = Array.from({ length: H }, (_, h) => out.W[rr * D * H + j * H + h]);
        const brute = bruteProx(v, u, lambda[rr], M);
        // the operator's value is optimal (never worse than the brute force, up to its grid)
        assert.ok(brute.f(got) <= brute.objective + 1e-9, `replica ${rr} feature ${j}: objective ${brute.f(got)} > brute force ${brute.objective}`);
        assert.ok(Math.abs(got - brute.r) < 1e-5 * Math.max(1, brute.r), `replica ${rr} feature ${j}: ||b|| ${got}, brute force ${brute.r}`);
        // b along v, W the clip of u at M ||b||
        for (let o = 0; o < O; o++) {
          const nv = Math.hypot(...v);
          assert.ok(Math.abs(out.theta[rr * O * D + o * D + j] - (nv > 0 ? (got * v[o]) / nv : 0)) < 1e-9);
        }
        gotW.forEach((w, h) => assert.ok(Math.abs(w - Math.sign(u[h]) * Math.min(Math.abs(u[h]), M * got)) < 1e-9));
        if (got === 0) dropped++;
        else kept++;
        cases++;
      }
  }
  assert.equal(cases, 60);
  assert.ok(dropped > 5 && kept > 5, `both outcomes covered (dropped ${dropped}, kept ${kept})`);
});

/** lassonet's prox for one feature (Algorithm 2 as the official code evaluates it), for the brute-force start. */
function officialProx(v: number[], u: number[], lambda: number, M: number): { v: number[]; u: number[] } {
  const us = u.map(Math.abs).sort((a, b) => b - a);
  const k = us.length;
  const nv = Math.hypot(...v);
  const xs: number[] = [], ws: number[] = [];
  let cum = 0;
  for (let s = 0; s <= k; s++) {
    if (s > 0) cum += us[s - 1];
    const a = lambda - M * cum;
    const x = nv > 0 ? Math.max(1 - a / nv, 0) / (1 + s * M * M) : 0;
    xs.push(x);
    ws.push(M * x * nv);
  }
  const lower = [...us, 0];
  let idx = 0;
  for (let s = 0; s <= k; s++) if (lower[s] > ws[s]) idx++;
  return { v: v.map((x) => xs[idx] * x), u: u.map((x) => Math.sign(x) * Math.min(Math.abs(x), ws[idx])) };
}

test("LassoNet's automatic path start equals repeated Hier-Prox by brute force", () => {
  const r = rng(23);
  for (const [O, D, H, M] of [[1, 4, 3, 10], [2, 5, 4, 10], [3, 3, 6, 2]] as const) {
    const theta = Float64Array.from({ length: O * D }, () => 0.2 * normal(r));
    const W = Float64Array.from({ length: D * H }, () => 0.1 * normal(r));
    const isSparse = (lambda: number) => {
      let v = Array.from({ length: D }, (_, j) => Array.from({ length: O }, (_, o) => theta[o * D + j]));
      let u = Array.from({ length: D }, (_, j) => Array.from(W.subarray(j * H, (j + 1) * H)));
      for (let it = 0; it < 10000; it++) {
        const next = v.map((vj, j) => officialProx(vj, u[j], lambda, M));
        const change = Math.max(...next.flatMap((n, j) => n.v.map((x, o) => Math.abs(x - v[j][o]))));
        u = next.map((n) => n.u);
        if (change < 1e-5) break;
        v = next.map((n) => n.v);
      }
      return v.some((vj) => Math.hypot(...vj) === 0);
    };
    let start = 1e-6;
    while (!isSparse(2 * start)) start *= 2;
    assert.equal(hierProxStart(theta, W, { O, D, H }, M), start, `O=${O} D=${D} H=${H} M=${M}`);
  }
});

test('LassoNet: along the path the number of selected features never increases; planted features survive longest', async () => {
  const informative = [2, 7, 11];
  const data = planted({ rows: 400, d: 14, classes: 3, seed: 9, informative });
  const base = nativeBaselineOptions({ task: 'classification', inputDim: 14, outputDim: 3, seeds: [], hidden: 16, denseEpochs: 60, densePatience: 20, pathEpochs: 20, pathPatience: 5, pathMultiplier: 1.1 });
  const { seeds: _s, lambdas: _l, ...rest } = base;
  const results = await lassonetPath({ k: 3, base: rest, seeds: [11, 22], fullPath: true }, toNativeSplits(data, 'classification'));
  for (const res of results) {
    assert.ok(res.path.length > 5, `a path of ${res.path.length} points`);
    for (let i = 1; i < res.path.length; i++)
      assert.ok(res.path[i].selected <= res.path[i - 1].selected, `seed ${res.seed}: ${res.path[i - 1].selected} then ${res.path[i].selected} features`);
    assert.equal(res.path.at(-1)!.selected, 0, 'the full path ends with no feature');
    for (let i = 1; i < res.path.length; i++) assert.ok(res.path[i].lambda > res.path[i - 1].lambda);
    assert.deepEqual([...res.selected].sort((a, b) => a - b), informative, `seed ${res.seed} kept ${res.selected}`);
    assert.equal(res.selected.length, 3);
  }
});

test('STG: the λ search ends at exactly K open gates and finds the planted features; with no rounds it says how close it got', async () => {
  const informative = [1, 5, 9];
  const data = planted({ rows: 400, d: 12, classes: 3, seed: 12, informative });
  const splits = toNativeSplits(data, 'classification');
  const b = nativeBaselineOptions({ task: 'classification', inputDim: 12, outputDim: 3, seeds: [], hidden: 16, batchSize: 16 });
  const { seeds: _s, lambdas: _l, ...base } = b;
  // a first bracket below the answer: the search must extend it, then interpolate
  const settings = stgSettingsSchema.parse({ lambdaMin: 0.005, lambdaMax: 0.05 });
  const rounds: number[] = [];
  const res = await stgSearch({ k: 3, epochs: 40, settings, base, seeds: [3, 4], onRound: (s) => void rounds.push(s.rounds) }, splits);
  for (const r of res) {
    assert.equal(r.exact, true, `seed ${r.seed}: ${r.open} open after ${r.tries.length} tries`);
    assert.equal(r.open, 3);
    assert.deepEqual([...r.selected].sort((a, b) => a - b), informative);
  }
  // the grid left more than K open: the search extended it (then stopped on K)
  assert.ok(rounds.length >= 2 && rounds.length <= settings.rounds + 1, `${rounds.length} rounds`);
  for (const r of res) assert.ok(r.tries.length >= 4 && r.tries.slice(0, 3).every((t) => t.open > 3), `seed ${r.seed}: ${JSON.stringify(r.tries.map((t) => [t.lambda, t.open]))}`);
  // only the first grid: the closest try with at least K open, its K largest μ, and exact: false
  const coarse = await stgSearch({ k: 3, epochs: 40, settings: { ...settings, rounds: 0 }, base, seeds: [3] }, splits);
  assert.equal(coarse[0].exact, false);
  assert.ok(coarse[0].open > 3, `${coarse[0].open} open: the closest try with at least K`);
  assert.equal(coarse[0].selected.length, 3);
  assert.ok(coarse[0].tries.length === 3);
  // the next-λ rule: bracketing, extending, stopping
  const t = (lambda: number, open: number) => ({ lambda, open, valLoss: 0, valMetric: 0, mu: [] });
  assert.equal(nextLambda([t(1, 3)], 3), undefined);
  assert.equal(nextLambda([t(1, 20)], 3), 10);
  assert.equal(nextLambda([t(1, 1)], 3), 0.1);
  const mid = nextLambda([t(1, 20), t(10, 1)], 3)!;
  assert.ok(mid > 1.1 && mid < 9.1, `interpolated inside the bracket: ${mid}`);
});

test('retrain: a fresh MLP on the planted features beats one on noise features; seeds spread over cores give the same numbers', async () => {
  const data = planted({ rows: 300, d: 10, classes: 2, seed: 21, informative: [0, 3] });
  const splits = toNativeSplits(data, 'classification');
  const o = nativeBaselineOptions({ task: 'classification', inputDim: 10, outputDim: 2, seeds: [1, 2], hidden: 16, batchSize: 20 });
  const good = await retrainNative(o, splits, [[0, 3], [3, 0]], 30);
  const bad = await retrainNative(o, splits, [[5, 8], [6, 9]], 30);
  for (let i = 0; i < 2; i++) assert.ok(good.testMetric[i] > bad.testMetric[i] + 0.15, `planted ${good.testMetric[i]} vs noise ${bad.testMetric[i]}`);
  const one = await retrainNative({ ...o, threads: 1 }, splits, [[0, 3], [3, 0]], 30);
  assert.deepEqual(one, good);
  assert.deepEqual(replicaParts(5, 0, 2), { parts: [[0, 1, 2], [3, 4]], threads: 1 });
  assert.deepEqual(replicaParts(5, 1, 2), { parts: [[0, 1, 2, 3, 4]], threads: 1 });
  assert.deepEqual(replicaParts(2, 4, 2), { parts: [[0], [1]], threads: 1 });
  await assert.rejects(retrainNative(o, splits, [[0, 99], [1, 2]], 3), (e: IpcaeError) => e.code === 'ERR_INVALID_ARGUMENT' && /feature indices in \[0, 10\)/.test(e.message));
});

test('runs: --method stg resumes its λ search after a cancel, and ends where an uninterrupted run ends; lassonet and the retrain option', async () => {
  const data = planted({ rows: 300, d: 10, classes: 3, seed: 31, informative: [1, 4, 6] });
  const cfg = resolveExperimentConfig({ dataset: 'planted', task: 'classification', method: 'stg', k: 3, batchSize: 16, epochs: 20, seeds: [5, 6], retrainEpochs: 10 });
  const whole = tmp();
  const s1 = await runExperiment(cfg, data as never, whole);
  assert.equal(s1.evaluation?.retrained, true);
  assert.equal(s1.seeds.length, 2);
  for (const s of s1.seeds) assert.equal(s.selected.length, 3);
  assert.ok(existsSync(path.join(whole, 'search.json')));
  assert.ok(/retrained|fresh MLP/.test(readFileSync(path.join(whole, 'summary.md'), 'utf8')));
  // cancelled after the first round, then resumed
  const dir = tmp();
  const ac = new AbortController();
  await assert.rejects(runExperiment(cfg, data as never, dir, { signal: ac.signal, onStage: () => ac.abort() }), (e: IpcaeError) => e.code === 'ERR_CANCELLED');
  assert.ok(!existsSync(path.join(dir, 'summary.json')));
  // the search records the time spent so far; the resumed run adds it (here inflated to 1000 s, so
  // that the sum cannot be mistaken for the last sitting's own seconds)
  const searchFile = path.join(dir, 'search.json');
  const search = JSON.parse(readFileSync(searchFile, 'utf8'));
  assert.equal(search.sittings, 1);
  assert.ok(search.seconds > 0 && search.seconds < 600, String(search.seconds));
  writeFileSync(searchFile, JSON.stringify({ ...search, seconds: 1000 }));
  const s2 = await runExperiment(cfg, data as never, dir);
  assert.equal(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).resumedFromRound, 1);
  assert.equal(s1.sittings, undefined);
  assert.deepEqual(s2.sittings, { count: 2, secondsBefore: 1000 });
  assert.ok(s2.secondsTotal > 1000 && s2.secondsTotal < 1600, String(s2.secondsTotal));
  assert.match(readFileSync(path.join(dir, 'summary.md'), 'utf8'), /Resumed run \(2 sittings\): 10\d\d\.\d s in all, 1000\.0 s of them before the last sitting/);
  assert.deepEqual(s2.seeds.map((s) => [s.selected, s.testMetric]), s1.seeds.map((s) => [s.selected, s.testMetric]));
  // lassonet through the same entry point
  const ln = await runExperiment(
    resolveExperimentConfig({ ...cfg, method: 'lassonet', lassonet: { denseEpochs: 40, densePatience: 10, pathEpochs: 10, pathPatience: 3, pathMultiplier: 1.1 } }),
    data as never,
    tmp(),
  );
  assert.equal(ln.method, 'lassonet');
  for (const s of ln.seeds) assert.equal(s.selected.length, 3);
  // the retrain option of a selector method: reported beside, not instead of, the faithful result
  const ip = await runExperiment(resolveExperimentConfig({ ...cfg, method: 'ip-cae', retrain: true }), data as never, tmp());
  assert.ok(ip.retrained && ip.retrained.epochs === 10);
  for (const s of ip.seeds) assert.ok(s.retrained && s.retrained.testMetric >= 0 && s.retrained.testMetric <= 1);
  assert.equal(ip.evaluation, undefined);
  // too little training to close any gate: said in a warning, the run still finishes
  const warnings: string[] = [];
  const short = await runExperiment(resolveExperimentConfig({ ...cfg, epochs: 1, lr: 1e-5, stg: { rounds: 1 } }), data as never, tmp(), { onWarning: (m) => warnings.push(m) });
  assert.equal(short.seeds.length, 2);
  assert.ok(warnings.some((w) => /no gate closed at any λ/.test(w) && /--epochs/.test(w)), warnings.join('\n'));
  // a CUDA device is refused by name, not silently replaced by the CPU
  await assert.rejects(runExperiment(resolveExperimentConfig({ ...cfg, device: 'cuda' }), data as never, tmp()), /runs on the CPU only.*'cuda'/);
  // a baseline has one hidden layer
  await assert.rejects(runExperiment(resolveExperimentConfig({ ...cfg, decoder: { hidden: [20, 20], dropout: 0 } }), data as never, tmp()), /one hidden layer/);
});

test('LassoNet: a cancelled path resumes from its checkpoint to the result of an uninterrupted one (library and run)', async () => {
  const data = planted({ rows: 300, d: 12, classes: 3, seed: 41, informative: [0, 5, 9] });
  const splits = toNativeSplits(data, 'classification');
  const b = nativeBaselineOptions({ task: 'classification', inputDim: 12, outputDim: 3, seeds: [], hidden: 12, denseEpochs: 80, densePatience: 20, pathEpochs: 15, pathPatience: 4, pathMultiplier: 1.1 });
  const { seeds: _s, lambdas: _l, ...base } = b;
  const opts = { k: 3, base, seeds: [7, 8, 9], fullPath: false };
  const whole = await lassonetPath(opts, splits);
  let saved: Parameters<NonNullable<Parameters<typeof lassonetPath>[0]['onCheckpoint']>>[0] | undefined;
  const ac = new AbortController();
  await assert.rejects(
    lassonetPath({ ...opts, signal: ac.signal, checkpointSeconds: 0, onCheckpoint: (c) => { saved = c; if (c.epochs >= 100) ac.abort(); } }, splits),
    (e: IpcaeError) => e.code === 'ERR_CANCELLED',
  );
  assert.ok(saved && saved.epochs >= 100 && saved.states.length === saved.parts.length, 'a checkpoint was taken');
  const resumed = await lassonetPath({ ...opts, resume: saved }, splits);
  assert.deepEqual(resumed, whole);
  // a state of other options is refused, by name
  const other = new LassoNetModel({ ...b, seeds: [7], lambdas: [0], hidden: 13 }, splits);
  await assert.rejects(other.loadState(saved!.states[0]), (e: IpcaeError) => e.code === 'ERR_INVALID_ARGUMENT' && /another configuration/.test(e.message));

  // through a run directory: cancel at the first progress line, rerun, same summary
  const cfg = resolveExperimentConfig({ dataset: 'planted', task: 'classification', method: 'lassonet', k: 3, batchSize: 16, epochs: 20, seeds: [7, 8], retrainEpochs: 5, lassonet: { denseEpochs: 80, densePatience: 20, pathEpochs: 15, pathPatience: 4, pathMultiplier: 1.1 } });
  const full = await runExperiment(cfg, data as never, tmp());
  const dir = tmp();
  const ac2 = new AbortController();
  await assert.rejects(runExperiment(cfg, data as never, dir, { signal: ac2.signal, onStage: () => ac2.abort() }), (e: IpcaeError) => e.code === 'ERR_CANCELLED');
  assert.ok(existsSync(path.join(dir, 'path.json')) && !existsSync(path.join(dir, 'summary.json')));
  const pathFile = JSON.parse(readFileSync(path.join(dir, 'path.json'), 'utf8'));
  assert.equal(pathFile.sittings, 1);
  assert.ok(pathFile.seconds > 0, String(pathFile.seconds));
  const again = await runExperiment(cfg, data as never, dir);
  assert.ok(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).resumedFromEpoch > 0);
  assert.deepEqual(again.sittings, { count: 2, secondsBefore: pathFile.seconds });
  assert.ok(again.secondsTotal >= pathFile.seconds);
  assert.deepEqual(again.seeds.map((s) => [s.selected, s.testMetric]), full.seeds.map((s) => [s.selected, s.testMetric]));
});

test("LassoNet: lassonet's own warning that the path's start might be too large (first feature gone before 2 × the start)", async () => {
  const pt = (lambda: number, selected: number) => ({ lambda, epochs: 10, valLoss: 1, selected });
  assert.deepEqual(startTooLarge([pt(10, 8), pt(11, 8), pt(19.9, 7)], 8), { start: 10, firstDrop: 19.9 });
  assert.equal(startTooLarge([pt(10, 8), pt(15, 8), pt(20, 7)], 8), undefined);
  assert.deepEqual(startTooLarge([pt(10, 5)], 8), { start: 10, firstDrop: 10 }); // gone at the first point
  assert.equal(startTooLarge([pt(10, 8), pt(12, 8)], 8), undefined); // none gone yet
  assert.equal(startTooLarge([], 8), undefined);
  // through a run: a start far too large is said (warning, summary.json, summary.md, selection file)
  const data = planted({ rows: 200, d: 8, classes: 2, seed: 43, informative: [1, 5] });
  const cfg = resolveExperimentConfig({ dataset: 'planted', task: 'classification', method: 'lassonet', k: 2, batchSize: 16, epochs: 20, seeds: [3, 4], retrainEpochs: 3, lassonet: { denseEpochs: 20, densePatience: 5, pathEpochs: 5, pathPatience: 2, lambdaStart: 1e4 } });
  const warnings: string[] = [];
  const dir = tmp();
  const s = await runExperiment(cfg, data as never, dir, { onWarning: (w) => warnings.push(w) });
  assert.equal(s.warnings?.length, 1, JSON.stringify(s.warnings));
  assert.match(s.warnings![0], /start λ 1\.00e\+4 \(lassonet\.lambdaStart\) might be too large, as lassonet itself warns: the first feature left at λ 1\.\d\de\+4 \(seed 3\), 1\.\d\de\+4 \(seed 4\), less than twice the start, for 2 of 2 seed\(s\)/);
  assert.deepEqual(warnings, s.warnings);
  assert.ok(readFileSync(path.join(dir, 'summary.md'), 'utf8').includes(`**Warning**: ${s.warnings![0]}`));
  const flagged = JSON.parse(readFileSync(path.join(dir, 'selection-3.json'), 'utf8')).startTooLarge;
  assert.ok(flagged.start === 1e4 && flagged.firstDrop >= 1e4 && flagged.firstDrop < 2e4, JSON.stringify(flagged));
});

test('selectFeatures with method stg and lassonet: K named columns, the retrained metric, save and load, transform; what does not apply is refused', async () => {
  const { selectFeatures, FeatureSelection } = await import('./exports.js');
  const table = pipelineTable(400, 3);
  const common = { k: 2, target: 'label', exclude: ['id'], seeds: [1, 2], batchSize: 32, lr: 0.01, hidden: [16], retrainEpochs: 30 };
  for (const method of ['stg', 'lassonet'] as const) {
    const sel = await selectFeatures(table, { ...common, method, epochs: 60, ...(method === 'lassonet' ? { lassonet: { denseEpochs: 200, densePatience: 20 } } : {}) });
    assert.equal(sel.data.method, method);
    // the label is 'high' when sensor α + temperature > 10: those two columns are the informative ones
    assert.deepEqual([...sel.features].sort(), ['sensor α', 'temperature (°C)'], `${method}: ${sel.features}`);
    assert.equal(sel.data.perSeed.length, 2);
    for (const p of sel.data.perSeed) {
      assert.equal(p.indices.length, 2);
      assert.ok(p.baseline && p.baseline.lambda > 0 && p.baseline.count >= 2, JSON.stringify(p.baseline));
      assert.ok(p.testMetric > 0.8, `${method} seed ${p.seed}: retrained accuracy ${p.testMetric}`);
    }
    assert.deepEqual(sel.data.retrained, { epochs: 30, hidden: 16 });
    const file = path.join(tmp(), 'sel.json');
    sel.save(file);
    const back = FeatureSelection.load(file);
    assert.deepEqual(back.features, sel.features);
    assert.deepEqual(back.transform(table).schema.fields.map((f) => f.name), sel.getFeatureNamesOut());
  }
  // lassonet's "start might be too large" reaches a pipeline too, and survives save / load
  const early = await selectFeatures(table, { ...common, method: 'lassonet', seeds: [1], lassonet: { denseEpochs: 20, densePatience: 5, pathEpochs: 5, pathPatience: 2, lambdaStart: 1e4 } });
  const flag = early.data.perSeed[0].baseline?.startTooLarge;
  assert.ok(flag && flag.start === 1e4 && flag.firstDrop < 2e4, JSON.stringify(early.data.perSeed[0].baseline));
  const saved = path.join(tmp(), 'early.json');
  early.save(saved);
  assert.deepEqual(FeatureSelection.load(saved).data.perSeed[0].baseline, early.data.perSeed[0].baseline);
  await assert.rejects(selectFeatures(table, { ...common, method: 'stg', device: 'cuda' }), /device: the stg baseline runs on the CPU only/);
  await assert.rejects(selectFeatures(table, { ...common, method: 'lassonet', hidden: [8, 8] }), /hidden: the lassonet baseline has one hidden layer/);
  await assert.rejects(selectFeatures(table, { ...common, method: 'stg', finetune: 5 }), /finetune: the stg baseline has no decoder/);
  await assert.rejects(selectFeatures(table, { ...common, method: 'stg', stg: { sigmaa: 1 } as never }), /sigmaa/);
});
