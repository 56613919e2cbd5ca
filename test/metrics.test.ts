import test from 'node:test';
import assert from 'node:assert/strict';
import { uniquePercentage, gjsd, meanMaxProbability, Trainer } from '../lib/index.js';
import { synthetic, splitData } from './helpers.js';

test('unique percentage and GJSD against hand-computed values', () => {
  // rows pick features 0, 2, 0 -> 2 unique of 3
  assert.equal(uniquePercentage([5, 1, 0, 0, 1, 9, 3, 2, 1], 3, 3), (100 * 2) / 3);
  // two disjoint one-hot rows: m = (1/2, 1/2), GJSD = log 2
  assert.ok(Math.abs(gjsd([100, 0, 0, 100], 2, 2) - Math.log(2)) < 1e-12);
  // identical rows: GJSD = 0
  assert.ok(Math.abs(gjsd([1, 2, 3, 1, 2, 3], 2, 3)) < 1e-12);
  // rows [log .5, log .5] and [log .9, log .1]: hand computation
  const p = [0.5, 0.5],
    q = [0.9, 0.1],
    m = [0.7, 0.3];
  const kl = (a: number[]) => a.reduce((s, v, i) => s + v * Math.log(v / m[i]), 0);
  assert.ok(Math.abs(gjsd([Math.log(0.5), Math.log(0.5), Math.log(0.9), Math.log(0.1)], 2, 2) - (kl(p) + kl(q)) / 2) < 1e-12);
  assert.ok(Math.abs(meanMaxProbability([Math.log(0.5), Math.log(0.5), Math.log(0.9), Math.log(0.1)], 2, 2) - 0.7) < 1e-12);
});

test('native per-epoch unique %, GJSD and mean max probability equal the TS reference on the logits', async () => {
  const D = 10,
    K = 4;
  const { x, y } = synthetic({ rows: 80, d: D, classes: 2, seed: 1 });
  // CAE: the parameters start with the K×D logits, so the metrics can be recomputed in TS.
  const t = new Trainer({ selector: 'cae', inputDim: D, k: K, outputDim: 2, hidden: [], batchSize: 16, seeds: [4], dtype: 'float64', lr: 0.05 });
  await t.setData(splitData(x, y, D, 48, 16));
  const history: { uniquePct: number; gjsd: number; meanMaxProb: number }[] = [];
  await t.fit({ epochs: 3, onEpoch: (m) => history.push(m.replicas[0]) });
  const L = t.getParameters().subarray(0, K * D);
  const last = history[history.length - 1];
  assert.equal(last.uniquePct, uniquePercentage(L, K, D));
  assert.ok(Math.abs(last.gjsd - gjsd(L, K, D)) < 1e-9);
  assert.ok(Math.abs(last.meanMaxProb - meanMaxProbability(L, K, D)) < 1e-9);
  t.dispose();
});
