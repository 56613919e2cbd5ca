import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import {
  loadExperimentConfig,
  defaultConfigFileForTest,
  stabilityForTest,
  speedUp,
  selectFeatures,
  FeatureSelection,
  IpcaeError,
} from './exports.js';
import { pipelineTable } from './helpers.js';

const cli = path.resolve('dist/lib/cli/run.js');
const miceDir = path.resolve('..', 'shared', 'datasets', 'mice-protein');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ipcae-test-'));

test('configs: the shipped files carry method §4 and §6; flags override; the result is validated', () => {
  const c = loadExperimentConfig(defaultConfigFileForTest('mice', 'classification'));
  assert.equal(c.k, 10);
  assert.equal(c.batchSize, 16);
  assert.equal(c.epochs, 200);
  assert.deepEqual(c.seeds, [11, 22, 33, 44, 55, 66, 77, 88, 99, 1010]);
  assert.deepEqual(c.temperature, { start: 10, end: 0.01 });
  assert.equal(loadExperimentConfig(defaultConfigFileForTest('mice', 'reconstruction')).gjsdLambda, 0.005);
  assert.equal(loadExperimentConfig(defaultConfigFileForTest('coil20', 'reconstruction')).gjsdLambda, 0.05);
  const isolet = loadExperimentConfig(defaultConfigFileForTest('isolet', 'classification'), { k: 20, decoder: { hidden: [] } });
  assert.equal(isolet.k, 20);
  assert.deepEqual(isolet.decoder.hidden, []);
  assert.equal(isolet.decoder.dropout, 0);
});

test('config errors name the file, the key path, what was expected and what was found', () => {
  const dir = tmp();
  const write = (body: string) => {
    const f = path.join(dir, `c${Math.random()}.yaml`);
    writeFileSync(f, body);
    return f;
  };
  const base = 'dataset: mice\ntask: classification\nk: 10\nbatchSize: 16\n';
  const expectErr = (file: string, re: RegExp, overrides = {}) =>
    assert.throws(
      () => loadExperimentConfig(file, overrides),
      (e: unknown) => e instanceof IpcaeError && e.code === 'ERR_INVALID_ARGUMENT' && re.test(e.message) && e.message.includes(file),
    );
  expectErr(write(base + 'colour: red\n'), /Unknown key 'colour'/);
  expectErr(write(base + 'epochs: many\n'), /Expected a number for epochs but received 'many'/);
  expectErr(write(base + 'decoder:\n  hidden: [200, -1]\n'), /decoder\.hidden\[1\]/);
  expectErr(write(base + 'lr: -1\n'), /lr but received -1/);
  expectErr(write(base + 'method: lasso\n'), /one of .*'ip-cae'.* for method but received 'lasso'/);
  expectErr(write(base.replace('k: 10', 'k: 0')), /k but received 0/);
  expectErr(write('k: [unclosed\n'), /not valid YAML/);
  expectErr(write(base), /seeds/, { seeds: [1, 1] });
  assert.ok(loadExperimentConfig(write(base)).k === 10);
});

test('selection stability and the Table-3 speed-up on constructed examples', () => {
  const s = stabilityForTest([[0, 1, 2], [0, 1, 3], [0, 4, 2]], ['a', 'b', 'c', 'd', 'e'], 3);
  assert.deepEqual(s.featureCounts, { a: 3, b: 2, c: 2, d: 1, e: 1 });
  // Jaccard: {0,1,2}∩{0,1,3} = 2/4; {0,1,2}∩{0,4,2} = 2/4; {0,1,3}∩{0,4,2} = 1/5
  assert.ok(Math.abs(s.meanPairwiseJaccard - (0.5 + 0.5 + 0.2) / 3) < 1e-12);
  assert.deepEqual(s.consensus, ['a', 'b', 'c']);
  const h = (losses: number[]) =>
    losses.map((v, epoch) => ({ epoch, temperature: 1, seconds: 0, replicas: [{ seed: 1, trainLoss: 0, valLoss: v, valMetric: 0, uniquePct: 100, gjsd: 0, meanMaxProb: 0, improved: false, diverged: false }] }));
  const r = speedUp(h([5, 4, 3, 2.5, 2.2, 2.1, 2.0, 2.05]), h([4, 2.5, 1.9, 1.5]));
  assert.equal(r.epochsNeeded, 3);
  assert.equal(r.speedUp, 8 / 3);
  // a CAE run shorter than the paper's 200 epochs is no Table-3 reference: said beside the number
  assert.match(r.caveat ?? '', /CAE ran 8 epochs, not the paper's 200 — the speed-up is not comparable to the paper's/);
  assert.deepEqual(speedUp(h([1, 0.5]), h([2, 1])).epochsNeeded, null);
  // 200 epochs, converged (best at epoch 100): no caveat; still falling at its end: a caveat
  const converged = Array.from({ length: 200 }, (_, e) => (e < 100 ? 3 - e / 100 : 2 + (e - 100) / 1000));
  assert.deepEqual(speedUp(h(converged), h([2.5, 1.9])), { epochsNeeded: 2, speedUp: 100 });
  const falling = Array.from({ length: 200 }, (_, e) => 3 - e / 100);
  assert.match(speedUp(h(falling), h([2.5, 1.0])).caveat ?? '', /still falling at its end \(best at epoch 200 of 200\): not converged/);
});

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

test('CLI usage errors exit 2 with a message naming the flag', () => {
  let r = runCli(['--epochs', 'x']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--epochs/);
  r = runCli(['--method', 'lasso', '--epochs', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--method but received 'lasso'/);
  r = runCli(['--dataset', 'imagenet']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--dataset/);
  r = runCli(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Examples:/);
  // the reproduction script (npm run reproduce) too: a usage message, not a stack trace
  const reproduce = (args: string[]) => spawnSync(process.execPath, [path.resolve('scripts/reproduce.mjs'), ...args], { encoding: 'utf8' });
  r = reproduce(['--task', 'reconstruction']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Unknown option '--task'[\s\S]*--tasks <list>/);
  assert.doesNotMatch(r.stderr, /at .*parse_args/);
  r = reproduce(['--tasks', 'clasification']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--tasks: expected classification and\/or reconstruction but received 'clasification'/);
  r = reproduce(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--methods <list>/);
});

test('a short CLI run writes every file of the run directory with the right shapes', (t) => {
  if (!existsSync(miceDir)) return t.skip(`no ${miceDir}`);
  const out = path.join(tmp(), 'run');
  const r = runCli(['--dataset', 'mice', '--data-dir', miceDir, '--epochs', '3', '--seeds', '11,22', '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['config.json', 'manifest.json', 'metrics.arrow', 'selection-11.json', 'selection-22.json', 'state.bin', 'summary.json', 'summary.md'])
    assert.ok(existsSync(path.join(out, f)), f);
  const metrics = tableFromIPC(readFileSync(path.join(out, 'metrics.arrow')));
  assert.equal(metrics.numRows, 6);
  assert.deepEqual(
    metrics.schema.fields.map((f) => f.name),
    ['seed', 'epoch', 'temperature', 'seconds', 'trainLoss', 'valLoss', 'valMetric', 'uniquePct', 'gjsd', 'meanMaxProb', 'improved', 'diverged'],
  );
  const sel = JSON.parse(readFileSync(path.join(out, 'selection-11.json'), 'utf8'));
  assert.equal(sel.indices.length, 10);
  assert.equal(sel.probabilities.length, 10 * 77);
  assert.match(sel.names[0], /_N$/);
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.seeds.length, 2);
  assert.equal(summary.metric, 'accuracy');
  const params = JSON.parse(readFileSync(path.join(out, 'parameters-22.json'), 'utf8'));
  const total = params.tensors.reduce((a: number, t: { length: number }) => a + t.length, 0);
  assert.equal(statSync(path.join(out, 'parameters-22.bin')).size, 4 * total);
  assert.deepEqual(params.tensors[0], { name: 'selector.psi', shape: [10, 77], offset: 0, length: 770 });
  assert.equal(typeof summary.seeds[0].duplicates, 'number');
  assert.equal(summary.seeds[0].uniquePct, (100 * (10 - summary.seeds[0].duplicates)) / 10);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.seeds, [11, 22]);
  assert.match(manifest.data.sources[0].sha256, /^[0-9a-f]{64}$/);
  assert.ok(manifest.finished && manifest.torch);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.experiment.k, 10);
  assert.equal(config.experiment.epochs, 3);
  // re-running a finished directory skips training
  const before = statSync(path.join(out, 'summary.json')).mtimeMs;
  const again = runCli(['--dataset', 'mice', '--data-dir', miceDir, '--epochs', '3', '--seeds', '11,22', '--out', out, '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(statSync(path.join(out, 'summary.json')).mtimeMs, before);
  assert.deepEqual(JSON.parse(again.stdout).seeds, summary.seeds);
  // a different configuration in the same directory is refused
  const clash = runCli(['--dataset', 'mice', '--data-dir', miceDir, '--epochs', '4', '--seeds', '11,22', '--out', out, '--quiet']);
  assert.equal(clash.status, 2);
  assert.match(clash.stderr, /different configuration/);
});

test('SIGTERM mid-run saves a state; the resumed run ends identical to an uninterrupted one', async (t) => {
  if (!existsSync(miceDir)) return t.skip(`no ${miceDir}`);
  const args = (out: string) => ['--dataset', 'mice', '--data-dir', miceDir, '--epochs', '150', '--seeds', '11,22', '--checkpoint-every', '7', '--out', out];
  const straight = path.join(tmp(), 'straight');
  assert.equal(runCli([...args(straight), '--quiet']).status, 0);

  const resumed = path.join(tmp(), 'resumed');
  const child = spawn(process.execPath, [cli, ...args(resumed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = 0;
  const code: number = await new Promise((resolve) => {
    child.stdout.on('data', (b: Buffer) => {
      const m = [...b.toString().matchAll(/epoch (\d+)\/150/g)];
      if (m.length) seen = Number(m[m.length - 1][1]);
      if (seen >= 10 && !child.killed) child.kill('SIGTERM');
    });
    child.on('exit', (c) => resolve(c ?? -1));
  });
  assert.equal(code, 143);
  assert.ok(existsSync(path.join(resumed, 'state.bin')));
  assert.ok(!existsSync(path.join(resumed, 'summary.json')));
  // the checkpoint's header records the seconds spent up to it; the resumed run adds them
  const saved = readFileSync(path.join(resumed, 'state.bin'));
  const header = JSON.parse(saved.subarray(saved.indexOf(0x0a) + 1, saved.indexOf(0x0a, saved.indexOf(0x0a) + 1)).toString());
  assert.equal(header.sittings, 1);
  assert.ok(header.seconds > 0, JSON.stringify(header));
  assert.equal(runCli([...args(resumed), '--quiet']).status, 0);
  const a = JSON.parse(readFileSync(path.join(straight, 'summary.json'), 'utf8'));
  const b = JSON.parse(readFileSync(path.join(resumed, 'summary.json'), 'utf8'));
  assert.deepEqual(b.seeds, a.seeds);
  assert.equal(a.sittings, undefined);
  assert.deepEqual(b.sittings, { count: 2, secondsBefore: header.seconds });
  assert.ok(b.secondsTotal >= header.seconds);
  const ma = tableFromIPC(readFileSync(path.join(straight, 'metrics.arrow'))),
    mb = tableFromIPC(readFileSync(path.join(resumed, 'metrics.arrow')));
  assert.equal(mb.numRows, ma.numRows);
  assert.deepEqual(mb.getChild('valLoss')!.toArray(), ma.getChild('valLoss')!.toArray());
});

test('library API: select on an Arrow table with string names and a string target; transform, save, load', async () => {
  const table = pipelineTable(400, 3);
  // multi-chunk input: the same table as two record batches
  const chunked = table.slice(0, 150).concat(table.slice(150));
  assert.ok(chunked.batches.length >= 2);
  const sel = await selectFeatures(chunked, { k: 2, target: 'label', exclude: ['id'], epochs: 40, seeds: [1, 2], batchSize: 32, hidden: [16] });
  assert.deepEqual(sel.classes, ['high', 'low']);
  assert.equal(sel.features.length, 2);
  assert.deepEqual([...sel.features].sort(), ['sensor α', 'temperature (°C)']);
  assert.equal(sel.perSeed.length, 2);
  assert.ok(sel.metric.mean > 0.8, `accuracy ${sel.metric.mean}`);
  const t2 = sel.transform(pipelineTable(10, 9));
  assert.deepEqual(t2.schema.fields.map((f) => f.name).sort(), ['sensor α', 'temperature (°C)']);
  assert.equal(t2.numRows, 10);
  const file = path.join(tmp(), 'sel.json');
  sel.save(file);
  const loaded = FeatureSelection.load(file);
  assert.deepEqual(loaded.toJSON(), sel.toJSON());
  // Arrow IPC file input
  const ipc = path.join(tmp(), 't.arrow');
  writeFileSync(ipc, tableToIPC(table, 'file'));
  const viaFile = await selectFeatures(ipc, { k: 2, target: 'label', exclude: ['id'], epochs: 2, seeds: [1] });
  assert.equal(viaFile.features.length, 2);
});

test('CLI on a user Arrow IPC file with a string target', () => {
  const dir = tmp();
  const file = path.join(dir, 'mine.arrow');
  writeFileSync(file, tableToIPC(pipelineTable(300, 4), 'file'));
  const out = path.join(dir, 'run');
  const r = runCli(['--dataset', file, '--target', 'label', '--exclude', 'id', '--k', '2', '--epochs', '30', '--batch-size', '32', '--seeds', '5', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.seeds[0].selectedNames.length, 2);
  assert.ok(s.seeds[0].selectedNames.every((n: string) => n !== 'id' && n !== 'label'));
  const noK = runCli(['--dataset', file, '--target', 'label']);
  assert.equal(noK.status, 2);
  assert.match(noK.stderr, /--k/);
});

test('library API: clear errors for text features, nulls, one-class targets, empty files; impute on request', async () => {
  const text = tableFromArrays({ a: new Float32Array([1, 2, 3, 4]), name: ['x', 'y', 'z', 'w'], label: ['p', 'q', 'p', 'q'] });
  await assert.rejects(selectFeatures(text, { k: 1, target: 'label' }), /'name' is text \(a category\): list it in exclude/);
  const withNull = tableFromArrays({ a: [1, null, 3, 4, 5, 6, 7, 8, 9, 10], b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], y: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1] });
  await assert.rejects(selectFeatures(withNull, { k: 1, target: 'y' }), /1 in 'a'.*impute/);
  const imputed = await selectFeatures(withNull, { k: 1, target: 'y', impute: 'mean', epochs: 1, batchSize: 2, hidden: [4] });
  assert.equal(imputed.features.length, 1);
  const oneClass = tableFromArrays({ a: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), y: new Array(10).fill('s') });
  await assert.rejects(selectFeatures(oneClass, { k: 1, target: 'y' }), /at least two classes/);
  await assert.rejects(selectFeatures(text, { k: 1, target: 'nope' }), /column named 'nope'/);
  const empty = path.join(tmp(), 'empty.arrow');
  writeFileSync(empty, '');
  await assert.rejects(selectFeatures(empty, { k: 1 }), /empty/);
});

test("comparison tables put the paper's published value beside a paper dataset's cell, and only there", async () => {
  const { comparisonTable } = await import('../lib/report/compare.js');
  const { summarize } = await import('../lib/experiment/summary.js');
  const seeds = [0.9, 0.92].map((m, i) => ({ seed: i + 1, bestEpoch: 1, testLoss: 0, testMetric: m, uniquePct: 100, selected: [0, 1], selectedNames: ['a', 'b'], duplicates: 0 }));
  const mice = summarize({ dataset: 'mice', task: 'classification', method: 'ip-cae', k: 2, secondsTotal: 1 }, seeds, ['a', 'b', 'c']);
  const mine = summarize({ dataset: 'mine.arrow', task: 'classification', method: 'ip-cae', k: 2, secondsTotal: 1 }, seeds, ['a', 'b', 'c']);
  const table = comparisonTable([mice, mine], ['ip-cae', 'ip-cae']);
  assert.match(table, /91\.00 ± 1\.41 \(UP 100 %; paper 94\.26 ± 1\.48\)/);
  assert.equal(table.match(/paper/g)?.length, 1, table);
});
