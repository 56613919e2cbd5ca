// P and the noise follow the table's width where nobody chose them: the paper's (P = D, per-sample)
// up to 2,048 features, P = max(64, K) and per-batch noise above; the resolved values and why are recorded
// in the run's config and summary and in a library selection. The paper's datasets keep P = D.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExperiment, resolveExperimentConfig, selectFeatures } from '../lib/index.js';
import { defaultConfigFile, loadExperimentConfig, withWidthDefaults } from '../lib/config/experiment.js';
import { estimateRun } from '../lib/experiment/run.js';
import { FULL_P_MAX_FEATURES, widthDefaults } from '../lib/train/wide-defaults.js';
import { rng, syntheticDataset } from './helpers.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-width-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the rule: the paper\'s up to the threshold, P = max(64, K) and per-batch above; what was chosen stays', () => {
  assert.deepEqual(widthDefaults(FULL_P_MAX_FEATURES, 50, {}, true), { p: 0, noise: 'per-sample' });
  const wide = widthDefaults(FULL_P_MAX_FEATURES + 1, 50, {}, true);
  assert.equal(wide.p, 64);
  assert.equal(wide.noise, 'per-batch');
  assert.match(wide.note!, /P = 64 and per-batch noise: the defaults for tables wider than 2,048 features \(this one has 2,049\)/);
  assert.equal(widthDefaults(20531, 150, {}, true).p, 150, 'never below K');
  assert.deepEqual(widthDefaults(20531, 150, { p: 0, noise: 'per-sample' }, true), { p: 0, noise: 'per-sample' });
  assert.match(widthDefaults(20531, 150, { p: 1000 }, true).note!, /^per-batch noise:/);
  // CAE has no P: only the noise follows the width
  const cae = widthDefaults(20531, 150, {}, false);
  assert.equal(cae.p, 0);
  assert.match(cae.note!, /^per-batch noise:/);
});

test("the paper's datasets still resolve to P = D and per-sample noise", () => {
  const width: Record<string, number> = { mnist: 784, 'fashion-mnist': 784, isolet: 617, coil20: 1024, har: 561, mice: 77, 'mnist-embedded': 784 };
  for (const [dataset, D] of Object.entries(width))
    for (const task of ['classification', 'reconstruction']) {
      const cfg = withWidthDefaults(loadExperimentConfig(defaultConfigFile(dataset, task)), D);
      assert.equal(cfg.p, 0, `${dataset} ${task}`);
      assert.equal(cfg.noise, 'per-sample', `${dataset} ${task}`);
      assert.equal(cfg.defaultsNote, undefined);
    }
});

test('a run on a wide table records the resolved P and noise and why; chosen values are kept', async () => {
  const D = FULL_P_MAX_FEATURES + 52;
  const data = syntheticDataset({ rows: 90, d: D, classes: 3, seed: 4, nTrain: 54, nVal: 18 });
  const cfg = resolveExperimentConfig({ dataset: 'wide', task: 'classification', k: 4, batchSize: 16, epochs: 2, seeds: [1] });
  assert.equal(cfg.p, undefined);
  // the estimate is that of the resolved run (P = 64, not P = D)
  assert.equal(estimateRun(cfg, data)!.parametersPerReplica, estimateRun({ ...cfg, p: 64, noise: 'per-batch' }, data)!.parametersPerReplica);
  const s = await runExperiment(cfg, data, path.join(root, 'auto'));
  assert.equal(s.settings!.p, 64);
  assert.equal(s.settings!.noise, 'per-batch');
  assert.match(s.settings!.defaultsNote!, /wider than 2,048 features \(this one has 2,100\)/);
  const config = JSON.parse(readFileSync(path.join(root, 'auto', 'config.json'), 'utf8'));
  assert.equal(config.experiment.p, 64);
  assert.equal(config.experiment.noise, 'per-batch');
  assert.equal(config.trainer.embeddingDim, 64);
  assert.match(readFileSync(path.join(root, 'auto', 'summary.md'), 'utf8'), /P = 64 · noise per-batch .*wider than 2,048 features/);
  // the same call again finds the finished run (the resolution is the same)
  assert.equal((await runExperiment(cfg, data, path.join(root, 'auto'))).mean, s.mean);
  // ip-diag needs P = D: the width leaves P alone and chooses only the noise
  const diag = withWidthDefaults({ ...cfg, method: 'ip-diag' }, D);
  assert.deepEqual([diag.p, diag.noise], [0, 'per-batch']);
  const chosen = await runExperiment({ ...cfg, p: 0, noise: 'per-sample' }, data, path.join(root, 'chosen'));
  assert.equal(chosen.settings!.p, 0);
  assert.equal(chosen.settings!.noise, 'per-sample');
  assert.equal(chosen.settings!.defaultsNote, undefined);
});

test('selectFeatures on a wide table says which defaults the width chose', async () => {
  const D = FULL_P_MAX_FEATURES + 10;
  const r = rng(3);
  const rows = 60;
  const x = new Float32Array(rows * D).map(() => r());
  const y = Array.from({ length: rows }, (_, i) => (x[i * D] > 0.5 ? 'a' : 'b'));
  const featureNames = Array.from({ length: D }, (_, j) => `g${j}`);
  const sel = await selectFeatures({ x, y, featureNames }, { k: 3, epochs: 2, batchSize: 16 });
  assert.deepEqual({ p: sel.data.widthDefaults?.p, noise: sel.data.widthDefaults?.noise }, { p: 64, noise: 'per-batch' });
  const paper = await selectFeatures({ x, y, featureNames }, { k: 3, epochs: 2, batchSize: 16, p: 0, noise: 'per-sample' });
  assert.equal(paper.data.widthDefaults, undefined);
});
