// Readers of the original formats not covered by datasets.test.ts (Smartphone HAR in the UCI layout,
// ISOLET's text and .Z forms, Mice Protein's .xls), imputation by hand, and `ipcae data fetch`
// against a loopback HTTP server laid out like the public sources.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { Table, vectorFromArray, Dictionary, Utf8, Int32 } from 'apache-arrow';
import { prepareHar, uniqueFeatureNames } from '../lib/datasets/har.js';
import { prepareIsolet, prepareCoil20, prepareMnistLike } from '../lib/datasets/paper.js';
import { prepareTable } from '../lib/tables/table.js';
import { prepareMice, imputeByClass, readMiceXls, readMiceCsv } from '../lib/datasets/mice.js';
import { uncompressZ } from '../lib/datasets/unix-compress.js';
import { download, fetchDataset, sourceUrl } from '../lib/datasets/fetch.js';
import { torchRandperm } from '../lib/tables/random.js';
import { compressZ, rng } from './helpers.js';

const shared = path.resolve('..', 'shared', 'datasets');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ipcae-src-'));
const has = (sub: string) => existsSync(path.join(shared, sub));

/** A small "UCI HAR Dataset" tree: D features (with repeated names, one constant column), labels 1–6. */
function writeHarFixture(root: string, o: { train: number; test: number; D?: number; seed?: number } = { train: 50, test: 20 }) {
  const D = o.D ?? 12;
  const r = rng(o.seed ?? 3);
  const base = path.join(root, 'UCI HAR Dataset');
  for (const d of ['train', 'test']) mkdirSync(path.join(base, d), { recursive: true });
  const names = Array.from({ length: D }, (_, j) => (j >= D - 3 ? 'fBodyAcc-bandsEnergy()-1,8' : `tBodyAcc-f${j}()-X`));
  writeFileSync(path.join(base, 'features.txt'), names.map((n, j) => `${j + 1} ${n}`).join('\n') + '\n');
  writeFileSync(path.join(base, 'activity_labels.txt'), ['WALKING', 'WALKING_UPSTAIRS', 'WALKING_DOWNSTAIRS', 'SITTING', 'STANDING', 'LAYING'].map((n, i) => `${i + 1} ${n}`).join('\n') + '\n');
  const matrix = (rows: number) =>
    Array.from({ length: rows }, () => Array.from({ length: D }, (_, j) => (j === 1 ? 0.25 : r() * 2 - 1)));
  const fmt = (v: number) => (v < 0 ? '' : ' ') + v.toExponential(7).replace(/e([+-])(\d)$/, 'e$10$2').replace(/e([+-])(\d\d)$/, 'e$10$2');
  const write = (split: string, rows: number) => {
    const x = matrix(rows);
    const y = Array.from({ length: rows }, (_, i) => (i % 6) + 1);
    writeFileSync(path.join(base, split, `X_${split}.txt`), x.map((row) => ' ' + row.map(fmt).join(' ')).join('\n') + '\n');
    writeFileSync(path.join(base, split, `y_${split}.txt`), y.join('\n') + '\n');
    return { x, y };
  };
  return { base, names, train: write('train', o.train), test: write('test', o.test), D };
}

test('Smartphone HAR: the UCI layout, the published split procedure, min-max fitted on the official train file', () => {
  const dir = tmp();
  const fx = writeHarFixture(path.join(dir, 'har'), { train: 50, test: 20 });
  const d = prepareHar(dir);
  assert.equal(d.inputDim, fx.D);
  assert.equal(d.classes, 6);
  assert.deepEqual(d.classNames.slice(0, 2), ['WALKING', 'WALKING_UPSTAIRS']);
  assert.deepEqual([d.indices.train.length, d.indices.val.length, d.indices.test.length], [40, 10, 20]);
  assert.deepEqual(d.indices.train, Array.from(torchRandperm(50, 42).subarray(0, 40)));
  assert.equal(new Set([...d.indices.train, ...d.indices.val]).size, 50, 'train and val are disjoint and cover the train file');
  // names: the later repeats of a features.txt name get '#<number>'
  assert.deepEqual(d.featureNames.slice(-3), ['fBodyAcc-bandsEnergy()-1,8', `fBodyAcc-bandsEnergy()-1,8#${fx.D - 1}`, `fBodyAcc-bandsEnergy()-1,8#${fx.D}`]);
  assert.equal(new Set(d.featureNames).size, fx.D);
  // min-max over all 50 official train rows (train ∪ val), by hand for column 0; labels 1..6 → 0..5
  const col0 = fx.train.x.map((row) => row[0]);
  const [lo, hi] = [Math.min(...col0), Math.max(...col0)];
  const i = d.indices.train[3];
  assert.ok(Math.abs(d.train.x[3 * fx.D] - (fx.train.x[i][0] - lo) / (hi - lo)) < 1e-6);
  assert.equal(d.train.y[3], fx.train.y[i] - 1);
  assert.ok(Math.abs(d.test.x[5 * fx.D] - (fx.test.x[5][0] - lo) / (hi - lo)) < 1e-6, 'test scaled with the train file min/max');
  const trainVal = [...d.train.x, ...d.val.x];
  assert.equal(Math.min(...trainVal), 0);
  assert.equal(Math.max(...trainVal), 1);
  // the constant column (min = max) becomes 0, not NaN
  for (let r = 0; r < 40; r++) assert.equal(d.train.x[r * fx.D + 1], 0);
  assert.equal(uniqueFeatureNames(['a', 'b', 'a']).join(), 'a,b,a#3');
});

test('Smartphone HAR: bad files are named with the problem', () => {
  const check = (mutate: (base: string) => void, re: RegExp) => {
    const dir = tmp();
    const fx = writeHarFixture(dir, { train: 12, test: 6 });
    mutate(fx.base);
    assert.throws(() => prepareHar(dir), re);
  };
  const edit = (f: string, fn: (lines: string[]) => string[]) => writeFileSync(f, fn(readFileSync(f, 'utf8').trimEnd().split('\n')).join('\n') + '\n');
  check((b) => edit(path.join(b, 'train', 'X_train.txt'), (l) => [l[0], l[1].replace(/\s+\S+$/, ''), ...l.slice(2)]), /X_train\.txt: line 2 has 11 values, expected 12/);
  check((b) => edit(path.join(b, 'test', 'y_test.txt'), (l) => ['7', ...l.slice(1)]), /y_test\.txt: line 1: expected a label 1…6, found '7'/);
  check((b) => edit(path.join(b, 'train', 'y_train.txt'), (l) => l.slice(1)), /y_train\.txt: 11 labels, but .*X_train\.txt has 12 rows/);
  check((b) => edit(path.join(b, 'train', 'y_train.txt'), (l) => l.map(() => '2')), /every label is the same class/);
  check((b) => edit(path.join(b, 'test', 'X_test.txt'), (l) => [l[0].replace(/\S+$/, 'NaN'), ...l.slice(1)]), /X_test\.txt: line 1, value 12: expected a finite number, found 'NaN'/);
  check((b) => writeFileSync(path.join(b, 'test', 'X_test.txt'), ''), /X_test\.txt: the file is empty/);
  assert.throws(() => prepareHar(tmp()), /expected the UCI layout \(features\.txt, train\/X_train\.txt/);
});

test('ISOLET from UCI text files (.csv.gz, and .data.Z as UCI ships it) equals ISOLET from the MATLAB files', { skip: !has('isolet') && 'no shared isolet' }, () => {
  const fromMat = prepareIsolet(shared);
  const dir = tmp();
  mkdirSync(path.join(dir, 'isolet'));
  copyFileSync(path.join(shared, 'isolet', 'isolet1+2+3+4.csv.gz'), path.join(dir, 'isolet', 'isolet1+2+3+4.csv.gz'));
  // isolet5 as UCI writes it ("…, 1." class field), Unix-compressed
  const text = gunzipSync(readFileSync(path.join(shared, 'isolet', 'isolet5.csv.gz'))).toString('latin1').replace(/,(\d+)\n/g, ', $1.\n');
  const z = compressZ(Buffer.from(text, 'latin1'));
  assert.equal(Buffer.from(uncompressZ(z)).toString('latin1'), text);
  writeFileSync(path.join(dir, 'isolet', 'isolet5.data.Z'), z);
  const fromText = prepareIsolet(dir);
  assert.deepEqual(fromText.indices, fromMat.indices);
  for (const s of ['train', 'val', 'test'] as const) {
    assert.ok(Buffer.from(fromText[s].x.buffer).equals(Buffer.from(fromMat[s].x.buffer)), `${s} features identical`);
    assert.deepEqual(fromText[s].y, fromMat[s].y);
  }
  assert.deepEqual(fromText.sources.map((s) => path.basename(s.file)), ['isolet1+2+3+4.csv.gz', 'isolet5.data.Z']);
  // bad text: a short line, a class out of range, a cut .Z
  writeFileSync(path.join(dir, 'isolet', 'isolet5.data.Z'), z.subarray(0, 3));
  assert.throws(() => prepareIsolet(dir), /isolet5\.data\.Z: no data rows \(a truncated or empty file\)/);
  writeFileSync(path.join(dir, 'isolet', 'isolet5.data.Z'), z.subarray(0, Math.floor(z.length / 2)));
  assert.throws(() => prepareIsolet(dir), /isolet5\.data\.Z: line \d+ has \d+ values, expected 618|isolet5\.data\.Z: line \d+, column \d+: expected a number/);
  writeFileSync(path.join(dir, 'isolet', 'isolet5.data.Z'), compressZ(Buffer.from('0.5, 0.25, 3.\n')));
  assert.throws(() => prepareIsolet(dir), /isolet5\.data\.Z: line 1 has 3 values, expected 618/);
  writeFileSync(path.join(dir, 'isolet', 'isolet5.data.Z'), compressZ(Buffer.from(text.split('\n')[0].replace(/, 1\.$/, ', 27.') + '\n', 'latin1')));
  assert.throws(() => prepareIsolet(dir), /line 1: expected a class 1…26 in column 618, found '27\.'/);
});

test("Mice Protein: UCI's .xls gives exactly the CSV's prepared data; class-wise imputation by hand", { skip: !has('mice-protein') && 'no shared mice-protein' }, () => {
  const xls = readMiceXls(path.join(shared, 'mice-protein', 'Data_Cortex_Nuclear.xls.gz'));
  const csv = readMiceCsv(path.join(shared, 'mice-protein', 'Data_Cortex_Nuclear.csv.gz'));
  assert.deepEqual(xls.featureNames, csv.featureNames);
  assert.deepEqual(xls.y, csv.y);
  assert.equal(xls.x.length, 1080);
  assert.ok(xls.x.every((row, i) => row.every((v, j) => Object.is(v, csv.x[i][j]))), 'every cell identical, NaN where empty');
  const d = prepareMice(path.join(shared, 'mice-protein', 'Data_Cortex_Nuclear.xls.gz'));
  assert.deepEqual(d.indices.train.slice(0, 5), [133, 629, 481, 575, 311]);
  // imputation on a small table: column 0 of class 1 has 2 and 4 observed → 3; class 0 unaffected by class 1
  const x = [
    [1, NaN],
    [NaN, 5],
    [2, 7],
    [4, NaN],
    [NaN, 1],
  ];
  imputeByClass(x, [0, 0, 1, 1, 1], 'small');
  assert.deepEqual(x, [
    [1, 5],
    [1, 5],
    [2, 7],
    [4, 4],
    [3, 1],
  ]);
  assert.throws(() => imputeByClass([[NaN], [1]], [0, 1], 'tiny', ['P_N']), /tiny: column 'P_N' has no observed value in class 0/);
  const bad = path.join(tmp(), 'Data_Cortex_Nuclear.xls');
  writeFileSync(bad, 'this is not a workbook');
  assert.throws(() => readMiceXls(bad), /Data_Cortex_Nuclear\.xls: (not a readable Excel workbook|expected a header row|missing column)/);
});

// ---------------------------------------------------------------- download

interface ServerLog {
  path: string;
  range?: string;
}
let server: http.Server;
let base = '';
const requests: ServerLog[] = [];
const files = new Map<string, Uint8Array>();
/** Paths whose next response is cut after this many bytes. */
const cutOnce = new Map<string, { bytes: number; times: number }>();

before(async () => {
  server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path: p, range: req.headers.range });
    const body = files.get(p);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    const cut = cutOnce.get(p);
    if (cut !== undefined) {
      if (--cut.times === 0) cutOnce.delete(p);
      res.write(body.subarray(start, start + cut.bytes), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const serve = (publicUrl: string, body: Uint8Array) => files.set(new URL(publicUrl).pathname, body);

test('data fetch: COIL-20 from a mirror, verified; an interrupted transfer resumes; a checksum mismatch is refused', { skip: !has('coil20') && 'no shared coil20' }, async () => {
  const coil = readFileSync(path.join(shared, 'coil20', 'COIL20.mat'));
  const url = 'https://jundongl.github.io/scikit-feature/files/datasets/COIL20.mat';
  serve(url, coil);
  assert.equal(sourceUrl(url, base + '/'), `${base}/scikit-feature/files/datasets/COIL20.mat`);
  const dataDir = tmp();
  const dest = path.join(dataDir, 'coil20', 'COIL20.mat');
  const p = '/scikit-feature/files/datasets/COIL20.mat';
  // Cut three times in a row: the three attempts of one fetch fail, the part file is kept.
  cutOnce.set(p, { bytes: 1_000_000, times: 3 });
  const logged: string[] = [];
  await assert.rejects(fetchDataset('coil20', dataDir, { baseUrl: base, log: (l) => logged.push(l) }), /interrupted after \d+ bytes.*run the same command again to resume|ended early/);
  assert.equal(logged.filter((l) => /retrying/.test(l)).length, 2);
  assert.ok(!existsSync(dest), 'no file under the final name');
  const kept = statSync(`${dest}.part`).size;
  assert.ok(kept > 0 && kept < coil.length, `part file holds ${kept} bytes`);
  // The next run resumes where the part file ends.
  const r = await fetchDataset('coil20', dataDir, { baseUrl: base });
  assert.equal(r.downloads[0].resumedFrom, kept);
  assert.equal(requests.at(-1)?.range, `bytes=${kept}-`);
  assert.ok(readFileSync(dest).equals(coil));
  assert.ok(r.downloads[0].verified);
  assert.ok(!existsSync(`${dest}.part`));
  // One cut within a run is resumed by the run itself.
  const again = tmp();
  cutOnce.set(p, { bytes: 500_000, times: 1 });
  const r2 = await fetchDataset('coil20', again, { baseUrl: base });
  assert.ok(r2.downloads[0].resumedFrom > 0 && readFileSync(path.join(again, 'coil20', 'COIL20.mat')).equals(coil));
  assert.deepEqual(prepareCoil20(dataDir).indices.train.slice(0, 5), [582, 1420, 1036, 1108, 662]);
  // present and verified: nothing is downloaded again
  const n = requests.length;
  assert.ok((await fetchDataset('coil20', dataDir, { baseUrl: base })).downloads[0].skipped);
  assert.equal(requests.length, n);
  // a corrupted copy: refused, discarded, named
  const other = tmp();
  const corrupt = Buffer.from(coil);
  corrupt[1234] ^= 0xff;
  serve(url, corrupt);
  await assert.rejects(fetchDataset('coil20', other, { baseUrl: base }), /SHA-256 [0-9a-f]{64} does not match the expected 4595ebdd.* for COIL20\.mat; the download was discarded/);
  assert.ok(!existsSync(path.join(other, 'coil20', 'COIL20.mat')) && !existsSync(path.join(other, 'coil20', 'COIL20.mat.part')));
  serve(url, coil);
  // a server without the file, and one that is not there
  await assert.rejects(download(`${base}/nothing-here`, path.join(other, 'x')), /HTTP 404/);
  await assert.rejects(download('http://127.0.0.1:9/x', path.join(other, 'y')), /Cannot download http:\/\/127\.0\.0\.1:9\/x/);
});

test('data fetch: UCI zips — Mice (.xls inside), ISOLET (.Z inside), HAR (a zip inside a zip) — unpack to what the readers read', async (t) => {
  const dataDir = tmp();
  if (has('mice-protein')) {
    const xls = gunzipSync(readFileSync(path.join(shared, 'mice-protein', 'Data_Cortex_Nuclear.xls.gz')));
    serve('https://archive.ics.uci.edu/static/public/342/mice+protein+expression.zip', zipSync({ 'Data_Cortex_Nuclear.xls': xls }));
    const r = await fetchDataset('mice', dataDir, { baseUrl: base });
    assert.deepEqual(r.extracted, [path.join(dataDir, 'mice', 'Data_Cortex_Nuclear.xls')]);
    assert.equal(r.downloads[0].verified, false, 'UCI archives are not pinned');
    const cli = spawnSync(process.execPath, [path.resolve('dist/lib/cli/ipcae.js'), 'data', 'prepare', 'mice', '--data-dir', dataDir], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /mice: 648\/216\/216 rows, 77 features, 8 classes/);
  } else t.diagnostic('no shared mice-protein: Mice part skipped');
  if (has('isolet')) {
    const z = (f: string) => compressZ(gunzipSync(readFileSync(path.join(shared, 'isolet', f))));
    serve('https://archive.ics.uci.edu/static/public/54/isolet.zip', zipSync({ 'isolet1+2+3+4.data.Z': z('isolet1+2+3+4.csv.gz'), 'isolet5.data.Z': z('isolet5.csv.gz') }, { level: 0 }));
    const r = await fetchDataset('isolet', dataDir, { baseUrl: base });
    assert.equal(r.extracted.length, 2);
    const d = prepareIsolet(dataDir);
    assert.deepEqual([d.indices.train.length, d.indices.val.length, d.indices.test.length], [4990, 1248, 1559]);
  } else t.diagnostic('no shared isolet: ISOLET part skipped');
  const fixture = tmp();
  writeHarFixture(fixture, { train: 30, test: 12 });
  const inner: Record<string, Uint8Array> = {};
  for (const f of ['features.txt', 'activity_labels.txt', 'train/X_train.txt', 'train/y_train.txt', 'test/X_test.txt', 'test/y_test.txt'])
    inner[`UCI HAR Dataset/${f}`] = readFileSync(path.join(fixture, 'UCI HAR Dataset', f));
  serve(
    'https://archive.ics.uci.edu/static/public/240/human+activity+recognition+using+smartphones.zip',
    zipSync({ 'UCI HAR Dataset.zip': zipSync(inner), '__MACOSX/._UCI HAR Dataset.zip': new Uint8Array(4) }),
  );
  const r = await fetchDataset('har', dataDir, { baseUrl: base });
  assert.equal(r.extracted.length, 6);
  const d = prepareHar(dataDir);
  assert.deepEqual([d.indices.train.length, d.indices.val.length, d.indices.test.length], [24, 6, 12]);
  await assert.rejects(fetchDataset('nope', dataDir), /Expected one of mnist, fashion-mnist, coil20, mice, isolet, arcene, dexter, cancer, har for the dataset name but received 'nope'/);
});

test('user Arrow data: dictionary-encoded target over several chunks, split column, scaling fitted on train only, constant and non-finite columns', () => {
  const n = 40;
  const r = rng(9);
  const a = Float64Array.from({ length: n }, () => r() * 10);
  const c = new Float64Array(n).fill(3); // constant
  const split = Array.from({ length: n }, (_, i) => (i < 24 ? 'train' : i < 32 ? 'val' : 'test'));
  const label = Array.from({ length: n }, (_, i) => (a[i] > 5 ? 'big' : 'small'));
  const dictLabel = vectorFromArray(label, new Dictionary(new Utf8(), new Int32()));
  const whole = new Table({ a: vectorFromArray(a), c: vectorFromArray(c), split: vectorFromArray(split), label: dictLabel });
  const chunked = whole.slice(0, 15).concat(whole.slice(15));
  assert.equal(chunked.batches.length, 2);
  for (const scaling of ['minmax', 'standard'] as const) {
    const p = prepareTable(chunked, { target: 'label', exclude: ['split'], split: { column: 'split' }, scaling });
    assert.deepEqual(p.featureNames, ['a', 'c']);
    assert.deepEqual(p.classes?.slice().sort(), ['big', 'small']);
    assert.deepEqual([p.splits.train.rows.length, p.splits.val.rows.length, p.splits.test.rows.length], [24, 8, 8]);
    const trainA = Array.from(a.subarray(0, 24));
    if (scaling === 'minmax') {
      const [lo, hi] = [Math.min(...trainA), Math.max(...trainA)];
      assert.ok(Math.abs(p.splits.test.x[0] - (a[32] - lo) / (hi - lo)) < 1e-6, 'test scaled with the train min/max');
    } else {
      const mean = trainA.reduce((s, v) => s + v, 0) / 24;
      const sd = Math.sqrt(trainA.reduce((s, v) => s + (v - mean) ** 2, 0) / 24);
      assert.ok(Math.abs(p.splits.val.x[0] - (a[24] - mean) / sd) < 1e-5, 'val standardized with the train mean/std');
    }
    for (const s of ['train', 'val', 'test'] as const) for (let i = 0; i < p.splits[s].rows.length; i++) assert.equal(p.splits[s].x[i * 2 + 1], 0, 'a constant column maps to 0');
    const cls = p.classes!;
    assert.deepEqual(Array.from(p.splits.train.y as Int32Array, (k) => cls[k]), label.slice(0, 24));
  }
  const inf = new Table({ a: vectorFromArray(Float64Array.from(a, (v, i) => (i === 7 ? Infinity : v))), label: vectorFromArray(label) });
  assert.throws(() => prepareTable(inf, { target: 'label' }), /Expected finite values in column 'a' but found Inf/);
  const badSplit = new Table({ a: vectorFromArray(a), s: vectorFromArray(split.map((v, i) => (i === 3 ? 'training' : v))), label: vectorFromArray(label) });
  assert.throws(() => prepareTable(badSplit, { target: 'label', exclude: ['s'], split: { column: 's' } }), /'training'/);
});

test("Fashion-MNIST from Debian's dataset-fashion-mnist files when the data directory has none", { skip: !has('fashion-mnist') && 'no shared fashion-mnist' }, () => {
  // /usr/share/datasets/fashion-mnist is where the package puts the IDX files; IPCAE_SYSTEM_DATASETS moves it for this test.
  const system = tmp();
  mkdirSync(path.join(system, 'fashion-mnist'));
  for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'])
    copyFileSync(path.join(shared, 'fashion-mnist', f), path.join(system, 'fashion-mnist', f));
  const before = process.env.IPCAE_SYSTEM_DATASETS;
  process.env.IPCAE_SYSTEM_DATASETS = system;
  try {
    const d = prepareMnistLike(tmp(), 'fashion-mnist');
    assert.deepEqual([d.indices.train.length, d.indices.val.length, d.indices.test.length], [7200, 1800, 1500]);
    assert.ok(d.sources.every((s) => s.file.startsWith(system)));
    assert.throws(() => prepareMnistLike(tmp(), 'mnist'), /mnist: expected one of train-images-idx3-ubyte/);
  } finally {
    if (before === undefined) delete process.env.IPCAE_SYSTEM_DATASETS;
    else process.env.IPCAE_SYSTEM_DATASETS = before;
  }
});
