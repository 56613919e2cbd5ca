// The official IP-CAE code's wide datasets as presets: each reader parses a small fixture in the
// published format (test/fixtures/official-wide, made by its make_fixtures.py from formulas
// recomputed here), the splits are the documented ones, the configs load, and a damaged file is an
// error naming the file and the line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IpcaeError } from '../lib/index.js';
import { DATASET_REGISTRY } from '../lib/datasets/registry.js';
import { defaultConfigFile, loadExperimentConfig, withWidthDefaults } from '../lib/config/experiment.js';
import type { PreparedDataset } from '../lib/datasets/dataset.js';

const fixtures = path.resolve('test/fixtures/official-wide');
const prepare = (name: string, dir = fixtures) => DATASET_REGISTRY[name].prepare(dir);
/** Every row of a prepared dataset by its source row: features and label. */
function rowsOf(d: PreparedDataset): Map<number, { x: number[]; y: number }> {
  const out = new Map<number, { x: number[]; y: number }>();
  for (const part of ['train', 'val', 'test'] as const)
    d.indices[part].forEach((src, r) => out.set(src, { x: Array.from(d[part].x.subarray(r * d.inputDim, (r + 1) * d.inputDim)), y: d[part].y[r] }));
  return out;
}
const f32 = (v: number) => Math.fround(v);

test('GENE: data.csv joined with labels.csv by sample name, classes in sorted order, 60/20/20', () => {
  const d = prepare('gene');
  assert.equal(d.inputDim, 50);
  assert.equal(d.featureNames[0], 'gene_0');
  assert.deepEqual(d.classNames, ['BRCA', 'COAD', 'KIRC', 'LUAD', 'PRAD']);
  assert.deepEqual([d.indices.train.length, d.indices.val.length, d.indices.test.length], [18, 6, 6]);
  for (const [i, row] of rowsOf(d)) {
    assert.equal(row.y, i % 5, `sample_${i}`);
    assert.deepEqual(row.x, Array.from({ length: 50 }, (_, j) => f32(((i * 7 + j * 3) % 101) / 10)));
  }
});

test('ARCENE (dense, gzip) and DEXTER (sparse): train file split 80/20, valid file the test set, labels ±1 → 0/1', () => {
  const a = prepare('arcene');
  assert.equal(a.inputDim, 10000);
  assert.deepEqual([a.indices.train.length, a.indices.val.length, a.indices.test.length], [8, 2, 6]);
  assert.deepEqual(a.indices.test, [10, 11, 12, 13, 14, 15]);
  const rows = rowsOf(a);
  for (const [src, row] of rows) {
    const i = src < 10 ? src : src - 10 + 100;
    assert.equal(row.y, i % 2 === 0 ? 1 : 0);
    for (const j of [0, 1, 2, 4999, 9999]) assert.equal(row.x[j], (i + j) % 3 === 0 ? (i * 31 + j * 17) % 1000 : 0, `row ${src} feature ${j}`);
  }
  const d = prepare('dexter');
  assert.equal(d.inputDim, 20000);
  for (const [src, row] of rowsOf(d)) {
    const i = src < 10 ? src : src - 10 + 100;
    const idx = [...new Set([i + 1, 2 * i + 50, 20000 - i])].sort((p, q) => p - q);
    const want = new Map(idx.map((j, k) => [j - 1, (i + 1) * (k + 1)]));
    assert.equal(row.x.filter((v) => v !== 0).length, idx.length);
    for (const [j, v] of want) assert.equal(row.x[j], v);
    assert.equal(row.y, i % 3 ? 1 : 0);
  }
});

test('CANCER (wdbc.data: malignant 0, benign 1, named features) and BREAST (x.npy / y.npy)', () => {
  const c = prepare('cancer');
  assert.equal(c.inputDim, 30);
  assert.equal(c.featureNames[0], 'mean radius');
  assert.equal(c.featureNames[29], 'worst fractal dimension');
  assert.deepEqual([c.indices.train.length, c.indices.val.length, c.indices.test.length], [24, 8, 8]);
  for (const [i, row] of rowsOf(c)) {
    assert.equal(row.y, i % 3 === 0 ? 0 : 1);
    assert.deepEqual(row.x, Array.from({ length: 30 }, (_, j) => f32(((i + 1) * (j + 1)) / 100)));
  }
  const b = prepare('breast');
  assert.equal(b.inputDim, 12);
  for (const [i, row] of rowsOf(b)) {
    assert.equal(row.y, i % 2);
    assert.deepEqual(row.x, Array.from({ length: 12 }, (_, j) => f32(i + j / 100)));
  }
});

test('the presets load with the official settings; the wide ones take the width defaults, the narrow P = D', () => {
  const k: Record<string, number> = { gene: 150, arcene: 150, dexter: 150, cancer: 5, breast: 20 };
  const width: Record<string, number> = { gene: 20531, arcene: 10000, dexter: 20000, cancer: 30, breast: 12 };
  for (const name of Object.keys(k))
    for (const task of ['classification', 'reconstruction']) {
      const cfg = withWidthDefaults(loadExperimentConfig(defaultConfigFile(name, task)), width[name]);
      assert.deepEqual([cfg.k, cfg.batchSize, cfg.epochs, cfg.lr, cfg.temperature.start, cfg.temperature.end, cfg.seeds.length], [k[name], 16, 200, 0.001, 10, 0.01, 10], name);
      assert.equal(cfg.p, width[name] > 2048 ? Math.max(64, k[name]) : 0, name);
      assert.equal(cfg.noise, width[name] > 2048 ? 'per-batch' : 'per-sample', name);
    }
});

test('ipcae-run trains a preset from --data-dir', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'ipcae-preset-'));
  try {
    const r = spawnSync(process.execPath, ['dist/lib/cli/run.js', '--dataset', 'cancer', '--data-dir', fixtures, '--epochs', '2', '--seeds', '11', '--out', path.join(out, 'run'), '--quiet', '--no-figures'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ip-cae on cancer \(classification\): test accuracy [\d.]+ ± [\d.]+ over 1 seed/);
    const s = JSON.parse(readFileSync(path.join(out, 'run', 'summary.json'), 'utf8'));
    assert.equal(s.settings.k, 5);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a damaged file is an error naming the file and the line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-damaged-'));
  try {
    cpSync(fixtures, dir, { recursive: true });
    const isData = (file: string, pattern: RegExp) => (e: unknown) => {
      assert.ok(e instanceof IpcaeError && e.code === 'ERR_DATA', String(e));
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, pattern);
      return true;
    };
    const wdbc = path.join(dir, 'cancer', 'wdbc.data');
    const lines = readFileSync(wdbc, 'utf8').split('\n');
    lines[4] = lines[4].replace(',B,', ',X,');
    writeFileSync(wdbc, lines.join('\n'));
    assert.throws(() => prepare('cancer', dir), isData(wdbc, /line 5: expected the diagnosis M or B but found 'X'/));
    const dex = path.join(dir, 'dexter', 'DEXTER', 'dexter_train.data');
    writeFileSync(dex, readFileSync(dex, 'utf8').replace(/^(\S+)/, '20001:5'));
    assert.throws(() => prepare('dexter', dir), isData(dex, /line 1: feature index 20001 is outside 1…20000/));
    const labels = path.join(dir, 'gene', 'TCGA-PANCAN-HiSeq-801x20531', 'labels.csv');
    writeFileSync(labels, readFileSync(labels, 'utf8').replace(/^sample_3,.*\n/m, ''));
    assert.throws(() => prepare('gene', dir), isData(labels, /no class for sample 'sample_3'/));
    const x = path.join(dir, 'breast', 'x.npy');
    writeFileSync(x, readFileSync(x).subarray(0, 200));
    assert.throws(() => prepare('breast', dir), isData(x, /truncated: shape \(30, 12\) needs 2880 bytes/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a preset is cached and read back as it was prepared', async () => {
  const { prepareAndCache, loadNamedDataset } = await import('../lib/datasets/registry.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-cache-'));
  try {
    cpSync(fixtures, dir, { recursive: true });
    const made = prepareAndCache('gene', dir).dataset;
    rmSync(path.join(dir, 'gene'), { recursive: true }); // the cache alone now
    const back = loadNamedDataset('gene', dir);
    assert.deepEqual({ ...back, sources: [] }, { ...made, sources: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ipcae data fetch unpacks the NIPS 2003 and breast-cancer zips where the readers look', async () => {
  const { zipSync } = await import('fflate');
  const { SOURCES, extractMembers } = await import('../lib/datasets/fetch.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-zip-'));
  try {
    const file = (p: string) => readFileSync(path.join(fixtures, p));
    // the layouts the official loaders read: ARCENE/ holds train and valid data, valid labels beside it
    const zips: Record<string, Record<string, Uint8Array>> = {
      arcene: {
        'ARCENE/arcene_train.data': new Uint8Array(readFileSync(path.join(fixtures, 'arcene/ARCENE/arcene_train.data.gz'))),
        'ARCENE/arcene_train.labels': file('arcene/ARCENE/arcene_train.labels'),
        'ARCENE/arcene_valid.data': new Uint8Array(readFileSync(path.join(fixtures, 'arcene/ARCENE/arcene_valid.data.gz'))),
        'ARCENE/arcene_test.data': new Uint8Array([1]),
        'arcene_valid.labels': file('arcene/arcene_valid.labels'),
      },
      cancer: { 'wdbc.data': file('cancer/wdbc.data'), 'wdbc.names': new Uint8Array([1]) },
    };
    for (const [name, members] of Object.entries(zips)) {
      const archive = path.join(dir, `${name}.zip`);
      writeFileSync(archive, zipSync(members));
      extractMembers(archive, SOURCES[name][0].extract!, path.join(dir, name));
    }
    assert.equal(prepare('arcene', dir).inputDim, 10000); // the gzip members are read by content
    assert.equal(prepare('cancer', dir).inputDim, 30);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
