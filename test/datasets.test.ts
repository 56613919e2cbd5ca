import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { prepareMice } from '../lib/datasets/mice.js';
import { prepareMnistLike, prepareCoil20, prepareIsolet } from '../lib/datasets/paper.js';
import { readIdx } from '../lib/datasets/idx.js';
import { readMat } from '../lib/datasets/mat.js';
import { torchRandperm, numpyLegacyPermutation, MT19937 } from '../lib/tables/random.js';
import { prepareEmbeddedMnist } from '../lib/datasets/embedded.js';
import { IpcaeError } from '../lib/errors.js';

const shared = path.resolve('..', 'shared', 'datasets');
const need = (t: { skip: (m: string) => void }, sub: string) => {
  if (existsSync(path.join(shared, sub))) return false;
  t.skip(`no ${path.join(shared, sub)}`);
  return true;
};

function checkSplit(d: { indices: { train: number[]; val: number[]; test: number[] } }, sizes: [number, number, number], n?: number) {
  assert.deepEqual([d.indices.train.length, d.indices.val.length, d.indices.test.length], sizes);
  if (n !== undefined) {
    const all = new Set([...d.indices.train, ...d.indices.val, ...d.indices.test]);
    assert.equal(all.size, sizes[0] + sizes[1] + sizes[2], 'disjoint');
    assert.ok([...all].every((i) => i >= 0 && i < n));
  }
}

test('MT19937 matches the reference sequence for seed 5489', () => {
  const g = new MT19937(5489);
  assert.equal(g.nextUint32(), 3499211612);
  assert.equal(g.nextUint32(), 581869302);
  // permutations are permutations
  const p = numpyLegacyPermutation(100, 42);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(torchRandperm(50, 1), torchRandperm(50, 1));
});

test('Mice Protein: published split indices, sizes, imputation, scaling on train only', (t) => {
  if (need(t, 'mice-protein')) return;
  const d = prepareMice(path.join(shared, 'mice-protein', 'Data_Cortex_Nuclear.csv.gz'));
  checkSplit(d, [648, 216, 216], 1080);
  assert.deepEqual(d.indices.train.slice(0, 5), [133, 629, 481, 575, 311]);
  assert.equal(d.inputDim, 77);
  assert.equal(new Set(d.train.y).size, 8);
  assert.ok(d.train.x.every((v) => v >= 0 && v <= 1 && Number.isFinite(v)), 'train scaled to [0,1]');
  assert.ok(d.test.x.every((v) => Number.isFinite(v)), 'no NaN left after imputation');
  assert.ok(d.test.x.some((v) => v < 0 || v > 1), 'val/test use the train min/max, so they may leave [0,1]');
});

test('COIL-20: 1440 × 1024, 20 classes, published split starting 582, 1420, 1036, 1108, 662', (t) => {
  if (need(t, 'coil20')) return;
  const d = prepareCoil20(shared);
  checkSplit(d, [864, 288, 288], 1440);
  assert.deepEqual(d.indices.train.slice(0, 5), [582, 1420, 1036, 1108, 662]);
  assert.equal(d.inputDim, 1024);
  assert.equal(d.classes, 20);
  assert.ok(d.train.x.every((v) => v >= 0 && v <= 1));
  assert.deepEqual([...new Set(d.train.y)].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
});

test('ISOLET: 4990 / 1248 / 1559, 617 features, 26 classes, min-max fitted on isolet1–4', (t) => {
  if (need(t, 'isolet')) return;
  const d = prepareIsolet(shared);
  checkSplit(d, [4990, 1248, 1559]);
  assert.equal(d.inputDim, 617);
  assert.equal(d.classes, 26);
  assert.ok(d.train.x.every((v) => v >= 0 && v <= 1) && d.val.x.every((v) => v >= 0 && v <= 1));
  let min = Infinity,
    max = -Infinity;
  for (const v of d.train.x) [min, max] = [Math.min(min, v), Math.max(max, v)];
  assert.equal(min, 0);
  assert.equal(max, 1);
});

test('MNIST and Fashion-MNIST: 7200 / 1800 / 1500 from the IDX files, standardized', (t) => {
  if (need(t, 'mnist') || need(t, 'fashion-mnist')) return;
  for (const name of ['mnist', 'fashion-mnist'] as const) {
    const d = prepareMnistLike(shared, name);
    checkSplit(d, [7200, 1800, 1500]);
    assert.equal(new Set(d.indices.train.concat(d.indices.val)).size, 9000);
    assert.equal(d.inputDim, 784);
    let s = 0;
    for (const v of d.train.x) s += v;
    assert.ok(Math.abs(s / d.train.x.length) < 0.05, `${name} standardized mean ${s / d.train.x.length}`);
  }
});

test('embedded MNIST digits: 10,000 images, 7200 / 1800 / 1000', () => {
  const d = prepareEmbeddedMnist();
  checkSplit(d, [7200, 1800, 1000], 10000);
  assert.equal(d.featureNames[29], 'pixel_1_1');
});

test('bad data: truncated IDX and gzip, a .mat without X/Y, an empty file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-data-'));
  const idx = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 10]), Buffer.alloc(5)]);
  writeFileSync(path.join(dir, 'short-labels'), idx);
  assert.throws(() => readIdx(path.join(dir, 'short-labels')), (e: unknown) => e instanceof IpcaeError && /short-labels: expected 10 data bytes.*found 5/.test(e.message));
  const gz = gzipSync(Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 4]), Buffer.alloc(4)]));
  writeFileSync(path.join(dir, 'cut.gz'), gz.subarray(0, gz.length - 6));
  assert.throws(() => readIdx(path.join(dir, 'cut.gz')), /cut\.gz: truncated or corrupt gzip/);
  writeFileSync(path.join(dir, 'empty'), '');
  assert.throws(() => readIdx(path.join(dir, 'empty')), /empty/);
  writeFileSync(path.join(dir, 'COIL20.mat'), Buffer.alloc(200));
  assert.throws(() => readMat(path.join(dir, 'COIL20.mat')), /not a level-5 MAT file/);
  if (existsSync(path.join(shared, 'isolet', 'isolet5.mat'))) {
    // a valid MAT file with other variables
    writeFileSync(path.join(dir, 'COIL20.mat'), readFileSync(path.join(shared, 'isolet', 'isolet5.mat')));
    assert.throws(() => prepareCoil20(dir), /expected variables X and Y, found fea, gnd/);
  }
  assert.throws(() => prepareIsolet(path.join(dir, 'nowhere')), /Isolet1\.mat/);
});

test('Arrow cache round trip: a prepared dataset reads back identical; a changed raw file invalidates it', async (t) => {
  if (need(t, 'mice-protein')) return;
  const { prepareAndCache, loadNamedDataset, cachePaths } = await import('../lib/datasets/registry.js');
  const { tableFromIPC } = await import('apache-arrow');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-cache-'));
  const src = path.join(shared, 'mice-protein', 'Data_Cortex_Nuclear.csv.gz');
  writeFileSync(path.join(dir, 'Data_Cortex_Nuclear.csv.gz'), readFileSync(src));
  const { dataset, table, sidecar } = prepareAndCache('mice', dir);
  assert.equal(table, cachePaths(dir, 'mice').table);
  const side = JSON.parse(readFileSync(sidecar, 'utf8'));
  assert.match(side.sources[0].sha256, /^[0-9a-f]{64}$/);
  const arrow = tableFromIPC(readFileSync(table));
  assert.equal(arrow.numRows, 1080);
  assert.equal(arrow.schema.fields[0].name, 'DYRK1A_N');
  assert.deepEqual(arrow.schema.fields.slice(-3).map((f) => f.name), ['label', 'split', 'row']);
  const back = loadNamedDataset('mice', dir);
  assert.deepEqual(back.indices, dataset.indices);
  assert.deepEqual(back.train.x, dataset.train.x);
  assert.deepEqual(back.test.y, dataset.test.y);
  assert.deepEqual(back.featureNames, dataset.featureNames);
  // a cache whose raw file changed is not used
  writeFileSync(path.join(dir, 'Data_Cortex_Nuclear.csv.gz'), readFileSync(src).subarray(0, 100));
  assert.throws(() => loadNamedDataset('mice', dir), IpcaeError);
});
