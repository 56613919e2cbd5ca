// The memory model before training: a run whose seeds do not fit together is trained in groups,
// each seed exactly as it trains alone; a run of which not even one seed fits is refused before
// anything is written, with the numbers; --dry-run prints the estimate and writes nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { IpcaeError, runExperiment, resolveExperimentConfig, type PreparedDataset } from '../lib/index.js';
import { estimateRun } from '../lib/experiment/run.js';
import { readJson } from '../lib/experiment/run-directory.js';
import { pipelineTable, syntheticDataset } from './helpers.js';

const D = 40;
const dataset = (): PreparedDataset => syntheticDataset({ rows: 300, d: D, classes: 3, seed: 8, nTrain: 180, nVal: 60 });

const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-memory-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('seeds that do not fit together train in groups, each exactly as in one group; one that cannot fit is refused, nothing written', async () => {
  const cfg = resolveExperimentConfig({ dataset: 'synthetic', task: 'classification', k: 3, batchSize: 20, epochs: 3, seeds: [1, 2, 3], shuffle: true });
  const data = dataset();
  const one = estimateRun({ ...cfg, seeds: [1] }, data)!.peakBytes;
  const two = estimateRun({ ...cfg, seeds: [1, 2] }, data)!.peakBytes;
  assert.ok(two > one);
  const whole = await runExperiment(cfg, data, path.join(root, 'whole'));
  const warnings: string[] = [];
  const split = await runExperiment(cfg, data, path.join(root, 'split'), { memoryLimit: Math.floor(one + (two - one) / 2), onWarning: (m) => warnings.push(m) });
  assert.match(warnings.join('\n'), /do not fit in .* together .* 3 groups of up to 1/);
  assert.deepEqual(readdirSync(path.join(root, 'split', 'groups')).sort(), ['g1', 'g2', 'g3']);
  assert.deepEqual(
    split.seeds.map((s) => [s.seed, s.selected, s.testMetric, s.bestEpoch]),
    whole.seeds.map((s) => [s.seed, s.selected, s.testMetric, s.bestEpoch]),
  );
  assert.equal(split.mean, whole.mean);
  for (const s of cfg.seeds) {
    for (const f of [`parameters-${s}.bin`, `selection-${s}.json`])
      assert.deepEqual(readFileSync(path.join(root, 'split', f)), readFileSync(path.join(root, 'whole', f)), f);
  }
  const manifest = JSON.parse(readFileSync(path.join(root, 'split', 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.seedGroups, [[1], [2], [3]]);
  // the same command again returns the finished result
  const again = await runExperiment(cfg, data, path.join(root, 'split'), { memoryLimit: Math.floor(one + (two - one) / 2) });
  assert.equal(again.mean, split.mean);
  // a finished run is returned as it was grouped, whatever the memory now: the split run with room
  // for all seeds, the whole run with room for none
  const splitAgain = await runExperiment(cfg, data, path.join(root, 'split'));
  assert.deepEqual(splitAgain, readJson(path.join(root, 'split', 'summary.json')));
  const wholeAgain = await runExperiment(cfg, data, path.join(root, 'whole'), { memoryLimit: Math.floor(one / 2) });
  assert.equal(wholeAgain.mean, whole.mean);
  // not even one seed fits: refused with the numbers, nothing written
  const out = path.join(root, 'refused');
  await assert.rejects(runExperiment(cfg, data, out, { memoryLimit: Math.floor(one / 2) }), (e: unknown) => {
    assert.ok(e instanceof IpcaeError && e.code === 'ERR_MEMORY_BUDGET', String(e));
    assert.match(e.message, /needs about \d+ MiB of memory .* but \d+ MiB is available .*nothing was trained or written/);
    return true;
  });
  assert.equal(existsSync(out), false);
  const whole2 = JSON.parse(readFileSync(path.join(root, 'whole', 'manifest.json'), 'utf8'));
  assert.ok(whole2.memory.estimatedPeakBytes > 0 && whole2.memory.limitBytes > 0, 'the estimate is in the manifest');
});

test('ipcae-run --dry-run prints each run and its estimate and writes nothing; --memory-limit refuses', () => {
  const table = path.join(root, 't.arrow');
  writeFileSync(table, tableToIPC(pipelineTable(120, 7), 'file'));
  const cli = path.resolve('dist/lib/cli/run.js');
  const out = path.join(root, 'dry');
  const args = [cli, '--dataset', table, '--target', 'label', '--exclude', 'id', '--k', '2,3', '--seeds', '1,2', '--out', out];
  const r = spawnSync(process.execPath, [...args, '--dry-run'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((r.stdout.match(/dry run: .*t\.arrow \(72\/24\/24 rows, D = 6\), classification, ip-cae, K = \d/g) ?? []).length, 2, r.stdout);
  assert.match(r.stdout, /memory estimate \(peak\): \d+ MiB of [\d.]+ GiB available/);
  assert.match(r.stdout, /nothing was trained or written/);
  assert.equal(existsSync(out), false);
  const tiny = spawnSync(process.execPath, [...args, '--dry-run', '--memory-limit', '1M'], { encoding: 'utf8' });
  assert.equal(tiny.status, 1, tiny.stderr);
  assert.match(tiny.stdout, /refused: This run needs about/);
  const bad = spawnSync(process.execPath, [...args, '--memory-limit', 'lots'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Expected a memory size such as 8G, 512M or a number of bytes for --memory-limit but received 'lots'/);
  const run = spawnSync(process.execPath, [...args.slice(0, -2), '--out', path.join(root, 'limited'), '--memory-limit', '1M'], { encoding: 'utf8' });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /ipcae-run: This run needs about \d+ MiB of memory .* but 1 MiB is available \(--memory-limit/);
  assert.equal(existsSync(path.join(root, 'limited')), false);
});

test('selectFeatures takes p and noise, and refuses a fit above memoryLimit before training, naming its options', async () => {
  const { selectFeatures } = await import('../lib/index.js');
  const table = pipelineTable(120, 7);
  const sel = await selectFeatures(table, { target: 'label', exclude: ['id'], k: 2, epochs: 3, seeds: [1, 2], batchSize: 16, p: 3, noise: 'per-batch' });
  assert.equal(sel.features.length, 2);
  await assert.rejects(selectFeatures(table, { target: 'label', exclude: ['id'], k: 2, epochs: 3, seeds: [1, 2], memoryLimit: 2 ** 20 }), (e: unknown) => {
    assert.ok(e instanceof IpcaeError && e.code === 'ERR_MEMORY_BUDGET', String(e));
    assert.match(e.message, /needs about \d+ MiB .* but 1 MiB is available \(options\.memoryLimit/);
    return true;
  });
});
