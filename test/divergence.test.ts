// Divergence: a non-finite loss stops that replica; its selection is never reported as a result;
// the other seeds' results are kept; the run fails with ERR_DIVERGED naming the seeds.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Trainer, runExperiment, resolveExperimentConfig, selectFeatures, type PreparedDataset } from '../lib/index.js';
import { pipelineTable, splitData, synthetic, syntheticDataset } from './helpers.js';

const D = 20;
const data = () => {
  const { x, y } = synthetic({ rows: 320, d: D, classes: 2, seed: 3 });
  return splitData(x, y, D, 200, 60);
};

test('a replica whose loss is non-finite is stopped at finite parameters and flagged', async () => {
  const t = new Trainer({ inputDim: D, k: 3, outputDim: 2, batchSize: 20, seeds: [1, 2], lr: 1e30 });
  try {
    await t.setData(data());
    const r = await t.fit({ epochs: 3 });
    assert.ok(r.history.every((h) => h.replicas.every((x) => x.diverged)), 'every epoch flags both replicas');
    assert.deepEqual(r.replicas.map((x) => x.divergedAtEpoch), [0, 0]);
    assert.ok(t.getParameters().every(Number.isFinite), 'the stopped replicas keep their last finite parameters');
    // the flag survives a checkpoint
    const state = await t.saveState();
    const u = new Trainer({ inputDim: D, k: 3, outputDim: 2, batchSize: 20, seeds: [1, 2], lr: 1e30 });
    await u.setData(data());
    await u.loadState(state);
    assert.deepEqual(u.info().divergedEpoch, [0, 0]);
    u.dispose();
  } finally {
    t.dispose();
  }
});

const dataset = (): PreparedDataset => syntheticDataset({ rows: 320, d: D, classes: 2, seed: 3, nTrain: 200, nVal: 60 });

test('a run keeps the seeds that did not diverge and fails naming those that did', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-div-'));
  try {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    // At this learning rate Adam's steps overflow float32 for some seeds within 5 epochs, not for others.
    const cfg = (s: number[]) => resolveExperimentConfig({ dataset: 'synthetic', task: 'classification', k: 3, batchSize: 20, epochs: 5, lr: 5e16, seeds: s });
    const err = await runExperiment(cfg(seeds), dataset(), path.join(dir, 'all')).then(
      () => undefined,
      (e) => e as Error & { code?: string },
    );
    const summary = JSON.parse(readFileSync(path.join(dir, 'all', 'summary.json'), 'utf8'));
    const gone: number[] = (summary.diverged ?? []).map((d: { seed: number }) => d.seed);
    assert.ok(gone.length > 0 && gone.length < seeds.length, `some but not all seeds diverge here (diverged: ${gone.join(',')})`);
    assert.equal(err?.code, 'ERR_DIVERGED');
    for (const s of gone) {
      assert.match(err!.message, new RegExp(`seed ${s} at epoch \\d`));
      assert.equal(existsSync(path.join(dir, 'all', `selection-${s}.json`)), false, `no selection file for diverged seed ${s}`);
      assert.equal(existsSync(path.join(dir, 'all', `parameters-${s}.bin`)), false);
    }
    const kept = seeds.filter((s) => !gone.includes(s));
    assert.deepEqual(summary.seeds.map((s: { seed: number }) => s.seed), kept);
    assert.match(readFileSync(path.join(dir, 'all', 'summary.md'), 'utf8'), /Diverged/);
    // the kept seeds' results are those of a run of those seeds alone (replicas are independent)
    const alone = await runExperiment(cfg(kept), dataset(), path.join(dir, 'kept'));
    assert.deepEqual(
      summary.seeds.map((s: { selected: number[]; testMetric: number }) => [s.selected, s.testMetric]),
      alone.seeds.map((s) => [s.selected, s.testMetric]),
    );
    for (const s of kept)
      assert.deepEqual(readFileSync(path.join(dir, 'all', `parameters-${s}.bin`)), readFileSync(path.join(dir, 'kept', `parameters-${s}.bin`)));
    // the same command again does not turn the failure into a success
    await assert.rejects(runExperiment(cfg(seeds), dataset(), path.join(dir, 'all')), (e: Error & { code?: string }) => e.code === 'ERR_DIVERGED');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('selectFeatures refuses a diverged selection', async () => {
  await assert.rejects(
    selectFeatures(pipelineTable(200, 4), { k: 2, target: 'label', epochs: 2, lr: 1e30, seeds: [1, 2] }),
    (e: Error & { code?: string }) => e.code === 'ERR_DIVERGED' && /every seed/.test(e.message),
  );
});
