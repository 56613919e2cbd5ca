// What feature-selection users ask for: K distinct features, scores and a ranking, the
// scikit-learn names, R² for regression — and the same in run summaries.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeatureSelector, selectFeatures, suggestK, sweepK, Trainer } from '../lib/index.js';
import { distinctSelection } from '../lib/stats/assignment.js';
import { featureScores, selectionMass } from '../lib/stats/scores.js';
import { populationVariance } from '../lib/stats/stats.js';
import { prepareTable } from '../lib/tables/table.js';
import { readTableSync } from '../lib/tables/read.js';
import { rng, synthetic, splitData, parameterBlocks } from './helpers.js';

const FIX = path.resolve('test/fixtures/tables');
const PLANTED = ['température', '温度'];
const FIT = { k: 2, target: 'label', exclude: ['id', 'score'], seeds: [1, 2, 3], epochs: 100, batchSize: 32, lr: 0.01 };

/** The best total over all injective maps of K nodes to D features (brute force). */
function bruteForce(p: number[], k: number, d: number): number {
  let best = -Infinity;
  const used = new Array<boolean>(d).fill(false);
  const go = (r: number, sum: number) => {
    if (r === k) {
      best = Math.max(best, sum);
      return;
    }
    for (let j = 0; j < d; j++)
      if (!used[j]) {
        used[j] = true;
        go(r + 1, sum + p[r * d + j]);
        used[j] = false;
      }
  };
  go(0, 0);
  return best;
}

test('distinct selections: the assignment reaches the optimum on matrices with duplicates and keeps distinct argmaxes as they are', () => {
  // constructed: nodes 0 and 1 both prefer feature 0; the optimum gives node 1 its second choice
  const p = [0.9, 0.05, 0.03, 0.02, 0.8, 0.15, 0.03, 0.02, 0.1, 0.1, 0.7, 0.1];
  assert.deepEqual(distinctSelection(p, 3, 4, [0, 0, 2]), [0, 1, 2]);
  const argmax = [0, 1, 2];
  assert.equal(distinctSelection(p, 3, 4, argmax), argmax, 'distinct argmaxes are returned unchanged');
  const r = rng(3);
  for (let t = 0; t < 40; t++) {
    const k = 2 + (t % 3),
      d = k + 1 + (t % 4);
    const q = Array.from({ length: k * d }, () => r() ** 3);
    const sel = distinctSelection(q, k, d, new Array(k).fill(0)); // "all nodes on feature 0": forces the assignment
    assert.equal(new Set(sel).size, k);
    const total = sel.reduce((s, j, row) => s + q[row * d + j], 0);
    assert.ok(Math.abs(total - bruteForce(q, k, d)) < 1e-12, `trial ${t}: ${total} against the optimum ${bruteForce(q, k, d)}`);
  }
  assert.throws(() => distinctSelection([1, 1], 2, 1, [0, 0]), /cannot take distinct features/);
});

test('scores and ranking: the planted features rank first; the same seeds give identical scores; scores sum to K', async () => {
  const a = await selectFeatures(path.join(FIX, 'pandas-default.csv'), FIT);
  const b = await selectFeatures(path.join(FIX, 'pyarrow-default.parquet'), FIT);
  assert.deepEqual([...a.ranking.slice(0, 2)].sort(), [...PLANTED].sort(), `ranking ${a.ranking.join(', ')}`);
  assert.deepEqual(a.scores, b.scores, 'the same data and seeds: identical scores');
  const total = a.scores.reduce((s, f) => s + f.score, 0);
  assert.ok(Math.abs(total - 2) < 1e-6, `the scores sum to K = 2 (${total})`);
  assert.deepEqual(a.scores.slice(0, 2).map((s) => s.frequency), [1, 1], 'every seed selected both');
  assert.equal(a.scores.length, 10);
  // other seeds: similar (the same top two)
  const c = await selectFeatures(path.join(FIX, 'pandas-default.csv'), { ...FIT, seeds: [7, 8, 9] });
  assert.deepEqual([...c.ranking.slice(0, 2)].sort(), [...PLANTED].sort());
  // the scikit-learn names
  const support = a.getSupport();
  assert.equal(support.length, 10);
  assert.deepEqual(a.data.inputFeatures.filter((_, j) => support[j]).sort(), [...PLANTED].sort());
  assert.deepEqual([...a.getFeatureNamesOut()].sort(), [...PLANTED].sort());
  const sk = new FeatureSelector(FIT);
  assert.throws(() => sk.getSupport(), /not fitted yet/);
  const narrow = await sk.fitTransform(path.join(FIX, 'pandas-default.csv'));
  assert.deepEqual(narrow.schema.fields.map((f) => f.name), sk.getFeatureNamesOut());
  assert.deepEqual(sk.getSupport(), a.getSupport());
});

test('score arithmetic: per-seed mass is Σ_k p, frequencies count seeds, ties break by frequency then column order', () => {
  assert.deepEqual(selectionMass([0.5, 0.5, 0, 0.25, 0.25, 0.5], 2, 3), [0.75, 0.75, 0.5]);
  const s = featureScores(
    [
      { mass: [1, 0.5, 0.5], selected: [0, 1] },
      { mass: [1, 0.5, 0.5], selected: [0, 2] },
      { mass: [1, 0.5, 0.5], selected: [0, 2] },
    ],
    ['a', 'b', 'c'],
  );
  assert.deepEqual(s.map((x) => [x.feature, x.score, x.frequency]), [
    ['a', 1, 1],
    ['c', 0.5, 0.666666667],
    ['b', 0.5, 0.333333333],
  ]);
});

test('the decoder evaluated on a given selection: the hard selection gives the same numbers; other features others; bad selections are refused', async () => {
  const { x, y } = synthetic({ rows: 200, d: 8, classes: 3, seed: 4, informative: [1, 5] });
  const t = new Trainer({ inputDim: 8, k: 2, outputDim: 3, seeds: [1, 2], batchSize: 32 });
  try {
    await t.setData(splitData(x, y, 8, 120, 40));
    await t.fit({ epochs: 5 });
    const hard = (await t.selection()).map((s) => s.indices);
    assert.deepEqual(await t.evaluate('test', { selection: hard }), await t.evaluate('test'));
    const other = hard.map((s) => s.map((j) => (j + 3) % 8));
    assert.notDeepEqual((await t.evaluate('test', { selection: other })).loss, (await t.evaluate('test')).loss);
    await assert.rejects(t.evaluate('test', { selection: [[0, 1]] }), /2 lists \(one per seed\) of k = 2 feature indices/);
    await assert.rejects(t.evaluate('test', { selection: [[0, 1], [0, 8]] }), /feature indices in \[0, 8\)/);
  } finally {
    t.dispose();
  }
});

test('selectFeatures gives K distinct features by default, the faithful selection beside them; distinct: false keeps duplicates', async () => {
  // CAE after one epoch at a high temperature: argmax of near-uniform logits repeats features
  const opts = { k: 6, target: 'label', exclude: ['id', 'score'], seeds: [1, 2, 3, 4], epochs: 1, method: 'cae' as const, batchSize: 32 };
  const faithful = await selectFeatures(path.join(FIX, 'pandas-tab.tsv'), { ...opts, distinct: false });
  const dup = faithful.perSeed.filter((p) => new Set(p.indices).size < 6);
  assert.ok(dup.length > 0, 'some seed repeats a feature (the case under test)');
  assert.ok(faithful.perSeed.every((p) => p.faithful === undefined));
  const d = await selectFeatures(path.join(FIX, 'pandas-tab.tsv'), opts);
  for (const [i, p] of d.perSeed.entries()) {
    assert.equal(new Set(p.indices).size, 6, `seed ${p.seed}: 6 distinct features`);
    const f = faithful.perSeed[i];
    if (new Set(f.indices).size < 6) {
      assert.deepEqual(p.faithful!.indices, f.indices, 'the faithful selection is kept beside');
      assert.equal(p.faithful!.testMetric, f.testMetric);
    } else {
      assert.equal(p.faithful, undefined);
      assert.deepEqual(p.indices, f.indices);
      assert.equal(p.testMetric, f.testMetric);
    }
  }
  assert.deepEqual(d.metric.faithful, { mean: faithful.metric.mean, std: faithful.metric.std });
});

test('regression: R² = 1 − MSE / variance of the test targets, per seed and over seeds', async () => {
  const file = path.join(FIX, 'pandas-default.csv');
  const sel = await selectFeatures(file, { ...FIT, target: 'score', exclude: ['id', 'label'] });
  const prep = prepareTable(readTableSync(file).table, { target: 'score', exclude: ['id', 'label'] });
  const v = populationVariance(prep.splits.test.y!);
  for (const p of sel.perSeed) assert.equal(p.r2, 1 - p.testMetric / v);
  assert.ok(Math.max(...sel.perSeed.map((p) => p.r2!)) > 0.9, `R² ${sel.perSeed.map((p) => p.r2).join(', ')}`);
  assert.equal(sel.metric.r2!.mean, sel.perSeed.reduce((a, p) => a + p.r2!, 0) / sel.perSeed.length);
});

test('run summaries carry the ranking, R² and distinct selections beside the faithful result', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-extras-'));
  try {
    const cli = path.resolve('dist/lib/cli/run.js');
    const out = path.join(dir, 'cae');
    const r = spawnSync(
      process.execPath,
      [cli, '--dataset', path.join(FIX, 'pandas-tab.tsv'), '--target', 'label', '--exclude', 'id,score', '--method', 'cae', '--k', '6', '--epochs', '1', '--seeds', '1,2,3,4', '--batch-size', '32', '--out', out, '--quiet'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(s.scores.length, 10);
    assert.ok(Math.abs(s.scores.reduce((a: number, f: { score: number }) => a + f.score, 0) - 6) < 1e-4);
    const changed = s.seeds.filter((x: { distinct?: unknown }) => x.distinct);
    assert.ok(changed.length > 0 && s.distinct.seedsChanged === changed.length);
    for (const x of changed) assert.equal(new Set(x.distinct.selected).size, 6);
    const md = readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.match(md, /\| rank \| feature \| score \| frequency \|/);
    assert.match(md, /Distinct selections .* seed\(s\) changed/);
    const reg = path.join(dir, 'reg');
    const r2 = spawnSync(
      process.execPath,
      [cli, '--dataset', path.join(FIX, 'pandas-tab.tsv'), '--task', 'regression', '--target', 'score', '--exclude', 'id,label', '--k', '2', '--epochs', '100', '--lr', '0.01', '--seeds', '1', '--batch-size', '32', '--out', reg, '--quiet'],
      { encoding: 'utf8' },
    );
    assert.equal(r2.status, 0, r2.stderr);
    const sr = JSON.parse(readFileSync(path.join(reg, 'summary.json'), 'utf8'));
    assert.ok(sr.r2.mean > 0.9 && sr.seeds[0].r2 === sr.r2.mean);
    assert.match(readFileSync(path.join(reg, 'summary.md'), 'utf8'), /R² on the test split: 0\.9/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('choosing K: the rule on constructed curves; sweepK returns one row per K; the CLI and compare show the sweep', async () => {
  const acc = [
    { k: 5, mean: 80, std: 2 },
    { k: 10, mean: 88, std: 1 },
    { k: 20, mean: 90, std: 1.5 },
    { k: 40, mean: 90.5, std: 1 },
  ];
  assert.equal(suggestK(acc, true), 20, 'the smallest K within one std (1.0) of the best mean (90.5)');
  assert.equal(suggestK([{ k: 5, mean: 0.5, std: 0.1 }, { k: 10, mean: 0.3, std: 0.05 }, { k: 20, mean: 0.28, std: 0.05 }], false), 10, 'errors: lower is better');
  assert.equal(suggestK([{ k: 7, mean: 1, std: 0 }], true), 7);
  const sweep = await sweepK(path.join(FIX, 'pandas-tab.tsv'), { ...FIT, k: [3, 1, 2], seeds: [1, 2] });
  assert.deepEqual(sweep.rows.map((r) => r.k), [1, 2, 3]);
  assert.deepEqual(sweep.rows.map((r) => r.selection.features.length), [1, 2, 3]);
  assert.equal(sweep.suggested, suggestK(sweep.rows.map((r) => ({ k: r.k, mean: r.metric.mean, std: r.metric.std })), true));
  // The file is read once for all K; each row is what selectFeatures gives for that K alone.
  const alone = await selectFeatures(path.join(FIX, 'pandas-tab.tsv'), { ...FIT, k: 2, seeds: [1, 2] });
  assert.deepEqual(sweep.rows[1].selection.perSeed, alone.perSeed);
  assert.deepEqual(sweep.rows[1].metric, alone.metric);
  await assert.rejects(sweepK(path.join(FIX, 'pandas-tab.tsv'), { ...FIT, k: [2, 2] }), /distinct positive integers/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-sweep-'));
  try {
    const out = path.join(dir, 'sweep');
    const r = spawnSync(
      process.execPath,
      [path.resolve('dist/lib/cli/run.js'), '--dataset', path.join(FIX, 'pandas-tab.tsv'), '--target', 'label', '--exclude', 'id,score', '--k', '1,2', '--epochs', '60', '--lr', '0.01', '--seeds', '1,2', '--batch-size', '32', '--out', out],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /K sweep: \S*pandas-tab\.tsv · classification · ip-cae — suggested K = 2 \(the smallest K whose mean is within one standard deviation/);
    assert.ok(existsSync(path.join(out, 'k1', 'summary.json')) && existsSync(path.join(out, 'k2', 'summary.json')));
    const c = spawnSync(process.execPath, [path.resolve('dist/lib/cli/ipcae.js'), 'compare', out], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /\| K \| test metric \| unique % \|/);
    const bad = spawnSync(process.execPath, [path.resolve('dist/lib/cli/run.js'), '--k', '5,0'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Expected positive integers for --k but received '0'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the decoder as an imputer: reconstruct from the selected columns matches the run’s test error, survives save/load, and refuses bad input', async () => {
  const file = path.join(FIX, 'pyarrow-stream.arrows');
  const table = readTableSync(file).table;
  const opts = { k: 4, exclude: ['id', 'label', 'score'], seeds: [1, 2], epochs: 60, batchSize: 32, lr: 0.01 };
  const sel = await selectFeatures(file, opts);
  assert.equal(sel.data.task, 'reconstruction');
  const prep = prepareTable(table, { exclude: opts.exclude });
  const testRows = prep.splits.test.rows;
  const narrow = table.select([...new Set(sel.features)]);
  const input: Record<string, number>[] = testRows.map((i) => Object.fromEntries(narrow.schema.fields.map((f) => [f.name, Number(narrow.getChild(f.name)!.get(i))])));
  const full = await sel.reconstruct(input);
  assert.deepEqual(full.schema.fields.map((f) => f.name), sel.data.inputFeatures);
  assert.equal(full.numRows, testRows.length);
  // docs/method.md §5's error in the scaled units: mean over rows of ||x − x̂||₂ / D
  const D = sel.data.inputFeatures.length;
  const x = prep.splits.test.x;
  let err = 0;
  for (let r = 0; r < testRows.length; r++) {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const xhat = (Number(full.getChildAt(j)!.get(r)) - sel.data.scaling.offset[j]) / sel.data.scaling.scale[j];
      s += (x[r * D + j] - xhat) ** 2;
    }
    err += Math.sqrt(s) / D / testRows.length;
  }
  const chosen = sel.perSeed.find((p) => p.seed === sel.data.decoder!.seed)!;
  assert.ok(Math.abs(err - chosen.testMetric) <= 1e-5 * chosen.testMetric, `reconstruct error ${err} against the run's ${chosen.testMetric}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-impute-'));
  try {
    const saved = path.join(dir, 'selector.json');
    sel.save(saved);
    const back = await (await import('../lib/index.js')).FeatureSelection.load(saved).reconstruct(input);
    for (let j = 0; j < D; j++) assert.deepEqual(Array.from(back.getChildAt(j)!.toArray() as Float64Array), Array.from(full.getChildAt(j)!.toArray() as Float64Array));
    // bad input
    await assert.rejects(sel.reconstruct(input.map((r) => ({ ...r, [sel.features[0]]: undefined as unknown as number }))), /Expected finite values in column|Expected numbers in column/);
    const without = input.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== sel.features[0])));
    await assert.rejects(sel.reconstruct(without), new RegExp(`Expected the selected column\\(s\\) '${sel.features[0]}' in the table to reconstruct from`));
    await assert.rejects(sel.reconstruct(input.map((r) => ({ ...r, [sel.features[0]]: 'x' as unknown as number }))), /Expected numbers in column .* but it is utf8/);
    const cls = await selectFeatures(file, { ...FIT, seeds: [1], epochs: 2 });
    await assert.rejects(cls.reconstruct(input), /needs a reconstruction selector .* for classification/);
    // ipcae impute
    const inCsv = path.join(dir, 'measured.csv');
    writeFileSync(inCsv, [Object.keys(input[0]).join(','), ...input.map((r) => Object.values(r).join(','))].join('\n') + '\n');
    const outCsv = path.join(dir, 'all.csv');
    const ipcae = path.resolve('dist/lib/cli/ipcae.js');
    const r = spawnSync(process.execPath, [ipcae, 'impute', '--selector', saved, '--input', inCsv, '--output', outCsv], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${testRows.length} rows × ${D} features reconstructed`));
    const written = readTableSync(outCsv).table;
    assert.deepEqual(written.schema.fields.map((f) => f.name), sel.data.inputFeatures);
    assert.ok(Math.abs(Number(written.getChildAt(0)!.get(0)) - Number(full.getChildAt(0)!.get(0))) < 1e-9);
    const bad = spawnSync(process.execPath, [ipcae, 'impute', '--selector', saved, '--input', inCsv, '--output', path.join(dir, 'x.xlsx')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Expected --output to end in .arrow, .feather or .ipc/);
    assert.ok(!existsSync(path.join(dir, 'x.xlsx')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('finetune: the decoder alone trains on a fixed selection; the selector does not move; validation never gets worse', async () => {
  const { x, y } = synthetic({ rows: 240, d: 8, classes: 3, seed: 6, informative: [1, 5] });
  const t = new Trainer({ inputDim: 8, k: 2, outputDim: 3, seeds: [1, 2], batchSize: 32 });
  try {
    await t.setData(splitData(x, y, 8, 160, 40));
    await t.fit({ epochs: 4 });
    const selection = [
      [1, 5],
      [5, 1],
    ];
    const before = await t.evaluate('val', { selection });
    const blocks = (flat: Float64Array) => parameterBlocks(t, flat).map((b) => ({ name: b.name, v: b.values }));
    const b0 = blocks(t.getParameters({ best: true }));
    const best = await t.finetune(5, { selection });
    const b1 = blocks(t.getParameters({ best: true }));
    for (const [i, blk] of b0.entries()) {
      if (blk.name.startsWith('selector.')) assert.deepEqual(b1[i].v, blk.v, `${blk.name} is frozen`);
    }
    assert.ok(b0.some((blk, i) => blk.name.startsWith('decoder.') && blk.v.some((v, j) => v !== b1[i].v[j])), 'the decoder trained');
    best.forEach((l, r) => assert.ok(l <= before.loss[r], `replica ${r}: ${l} <= ${before.loss[r]}`));
    assert.deepEqual((await t.evaluate('val', { selection })).loss, best, 'the best parameters are the fine-tuned ones');
    await assert.rejects(t.finetune(0, { selection }), /an integer >= 1 for epochs/);
  } finally {
    t.dispose();
  }
  const opts = { k: 6, target: 'label', exclude: ['id', 'score'], seeds: [1, 2, 3, 4], epochs: 1, method: 'cae' as const, batchSize: 32 };
  const plain = await selectFeatures(path.join(FIX, 'pandas-tab.tsv'), opts);
  const tuned = await selectFeatures(path.join(FIX, 'pandas-tab.tsv'), { ...opts, finetune: 5 });
  assert.equal(tuned.data.finetuned, 5);
  assert.equal(plain.data.finetuned, undefined);
  for (const [i, p] of tuned.perSeed.entries()) {
    assert.deepEqual(p.indices, plain.perSeed[i].indices, 'the same final selection');
    assert.ok(p.bestValLoss <= plain.perSeed[i].bestValLoss + 1e-12, `seed ${p.seed}: validation no worse after finetune`);
  }
});
