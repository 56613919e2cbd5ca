// Options are checked once, at the edge, against one definition: unknown keys are errors with a
// suggestion, enums list their values, and a message names where the value came from.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Trainer, loadExperimentConfig, selectFeatures } from '../lib/index.js';
import { pipelineTable, rejectsWith } from './helpers.js';

const throwsWith = rejectsWith;

const table = pipelineTable(60, 1);

test('selectFeatures refuses unknown and mistyped options instead of ignoring them', async () => {
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', epoch: 2 } as never), 'ERR_INVALID_ARGUMENT', /Unknown key 'epoch' \(did you mean 'epochs'\?\) in options/);
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', seed: 5 } as never), 'ERR_INVALID_ARGUMENT', /'seed' \(did you mean 'seeds'\?\)/);
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', method: 'nosuch' } as never), 'ERR_INVALID_ARGUMENT', /one of 'cae', .*'ip-cae'.* for options\.method but received 'nosuch'/);
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', scaling: 'zscore' } as never), 'ERR_INVALID_ARGUMENT', /'none', 'minmax', 'standard' for options\.scaling but received 'zscore'/);
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', impute: 'median' } as never), 'ERR_INVALID_ARGUMENT', /'error', 'mean' for options\.impute but received 'median'/);
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', split: { fraction: [0.6, 0.2, 0.2] } } as never), 'ERR_INVALID_ARGUMENT', /'fraction' \(did you mean 'fractions'\?\) in options\.split/);
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', seeds: [3, 3] }), 'ERR_INVALID_ARGUMENT', /distinct seeds for options\.seeds but received \[3, 3\]/);
  await throwsWith(() => selectFeatures(table, { k: 2.5, target: 'label' }), 'ERR_INVALID_ARGUMENT', /integer for options\.k/);
});

test('the trainer refuses unknown option keys with a suggestion', async () => {
  await throwsWith(() => new Trainer({ inputDim: 5, k: 2, outputDim: 2, lrr: 0.1 } as never), 'ERR_INVALID_ARGUMENT', /Unknown key 'lrr' \(did you mean 'lr'\?\) in options; known keys: selector,/);
  await throwsWith(() => new Trainer({ inputDim: 5, k: 2, outputDim: 2, device: 'tpu' }), 'ERR_INVALID_ARGUMENT', /'cpu', 'cuda', 'cuda:N' or 'auto' for options\.device but received 'tpu'/);
});

test('a config file with an unknown key or a bad value names the file and the key', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-opt-'));
  try {
    const f = path.join(dir, 'c.yaml');
    writeFileSync(f, 'dataset: mice\ntask: classification\nk: 10\nbatchSize: 16\nepoch: 3\ndecoder:\n  hiden: [10]\n');
    const escaped = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await throwsWith(() => loadExperimentConfig(f), 'ERR_INVALID_ARGUMENT', new RegExp(`^${escaped}: .*Unknown key 'epoch' \\(did you mean 'epochs'\\?\\) in the config`));
    await throwsWith(() => loadExperimentConfig(f), 'ERR_INVALID_ARGUMENT', /Unknown key 'hiden' \(did you mean 'hidden'\?\) in decoder/);
    writeFileSync(f, 'dataset: mice\ntask: classification\nk: 10\nbatchSize: 16\ndecoder:\n  dropout: 1\n');
    await throwsWith(() => loadExperimentConfig(f), 'ERR_INVALID_ARGUMENT', /< 1 for decoder\.dropout but received 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad flag value is blamed on the flag, not on the config file it overrides', () => {
  const cli = path.resolve('dist/lib/cli/run.js');
  const r = spawnSync(process.execPath, [cli, '--dataset', 'mice', '--device', 'tpu', '--epochs', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Expected 'cpu', 'cuda', 'cuda:N' or 'auto' for --device but received 'tpu'/);
  assert.doesNotMatch(r.stderr, /yaml/);
  const u = spawnSync(process.execPath, [cli, '--epoch', '3'], { encoding: 'utf8' });
  assert.equal(u.status, 2);
  assert.match(u.stderr, /unknown option '--epoch'[\s\S]*--epochs/);
});

test('one option table: every fit option is a flag, a config key and (unless marked) a library option; the temperature reaches the trainer from each', async () => {
  const { FIT_OPTIONS } = await import('../lib/config/fit-options.js');
  const { experimentSchema } = await import('../lib/config/experiment.js');
  const { selectOptionsSchema } = await import('../lib/select/options.js');
  const help = spawnSync(process.execPath, ['dist/lib/cli/run.js', '--help'], { encoding: 'utf8' }).stdout;
  for (const o of FIT_OPTIONS) {
    assert.ok(help.includes(o.flag.split(' ')[0] + ' '), `${o.flag} in --help`);
    const inConfig = 'configPath' in o ? o.configPath[0] in experimentSchema.shape : o.key in experimentSchema.shape;
    assert.ok(inConfig, `${o.key} in the config schema`);
    assert.equal(o.key in selectOptionsSchema.shape, !('library' in o && o.library === false), `${o.key} in the library's options`);
  }
  // the library: the schedule's first temperature is the option's start
  const temps: number[] = [];
  await selectFeatures(table, { k: 2, target: 'label', epochs: 2, seeds: [1], temperature: { start: 3, end: 0.5 }, onEpoch: (m) => temps.push(m.temperature) });
  assert.equal(temps[0], 3);
  assert.ok(Math.abs(temps[1] - 3 * Math.pow(0.5 / 3, 1 / 2)) < 1e-6, String(temps[1]));
  await throwsWith(() => selectFeatures(table, { k: 2, target: 'label', temperature: { start: 0, end: 1 } } as never), 'ERR_INVALID_ARGUMENT', /options\.temperature\.start/);
  // the command line: --temperature overrides the config's, and is what the run records and trains with
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-options-'));
  try {
    const file = path.join(dir, 't.csv');
    writeFileSync(file, 'a,b,c,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 3},${(i * 7) % 5},${i % 2},${i % 2 ? 'x' : 'y'}`).join('\n') + '\n');
    const out = path.join(dir, 'run');
    const r = spawnSync(process.execPath, ['dist/lib/cli/run.js', '--dataset', file, '--target', 'label', '--k', '1', '--epochs', '2', '--temperature', '4,0.25', '--out', out, '--quiet', '--no-figures'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const cfg = JSON.parse((await import('node:fs')).readFileSync(path.join(out, 'config.json'), 'utf8')) as { experiment: { temperature: { start: number; end: number } } };
    assert.deepEqual(cfg.experiment.temperature, { start: 4, end: 0.25 });
    const { readMetrics } = await import('../lib/experiment/metrics-file.js');
    assert.equal(readMetrics((await import('node:fs')).readFileSync(path.join(out, 'metrics.arrow')))[0].temperature, 4);
    const bad = spawnSync(process.execPath, ['dist/lib/cli/run.js', '--dataset', file, '--target', 'label', '--k', '1', '--temperature', '4'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Expected two positive numbers 'start,end' \(e\.g\. 10,0\.01\) for --temperature but received '4'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
