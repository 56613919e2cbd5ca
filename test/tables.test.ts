// Real tables from real pipelines: files written by pyarrow, polars and pandas with their default
// settings (test/fixtures/tables/make_fixtures.py) fit through the library and the CLI and find their
// planted features; every Arrow type follows the policy of docs/tables.md; bad tables are refused, clearly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { Table, tableFromArrays } from 'apache-arrow';
import { FeatureSelection, selectFeatures } from '../lib/index.js';
import { readTableSync } from '../lib/tables/read.js';
import { readAndPrepare } from '../lib/tables/read-async.js';
import { prepareTable } from '../lib/tables/table.js';
import { columnPolicy, numericColumn } from '../lib/tables/columns.js';
import { readMiceCsv } from '../lib/datasets/mice.js';
import { countLoopTurns } from './helpers.js';

const FIX = path.resolve('test/fixtures/tables');
const fx = (f: string) => path.join(FIX, f);
const PLANTED = ['température', '温度'];
const FIT = { k: 2, target: 'label' as string | undefined, exclude: ['id', 'score'], seeds: [1, 2], epochs: 100, batchSize: 32, lr: 0.01 };
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ipcae-tables-'));

const WRITTEN_BY: [string, string][] = [
  ['pyarrow-default.feather', 'arrow-file'], // Feather v2: LZ4_FRAME
  ['pyarrow-zstd.arrow', 'arrow-file'], // ZSTD, several record batches
  ['pyarrow-stream.arrows', 'arrow-stream'],
  ['pyarrow-default.parquet', 'parquet'], // snappy
  ['polars-default.arrow', 'arrow-file'], // Utf8View strings
  ['polars-default.parquet', 'parquet'], // zstd
  ['pandas-default.csv', 'csv'], // with pandas' unnamed index column
  ['pandas-tab.tsv', 'csv'],
];

test('tables written by pyarrow, polars and pandas read to the same values, whatever the format', () => {
  const ref = readTableSync(fx('pyarrow-stream.arrows')).table;
  const refCols = ['f0', 'température', '温度', 'score'].map((c) => numericColumn(ref.getChild(c)!));
  for (const [file, format] of WRITTEN_BY) {
    const r = readTableSync(fx(file));
    assert.equal(r.format, format, file);
    assert.equal(r.table.numRows, 240, file);
    assert.deepEqual(
      r.table.schema.fields.map((f) => f.name),
      ['id', 'f0', 'f1', 'température', 'f3', 'f4', 'größe', 'f6', 'f7', 'f8', '温度', 'label', 'score'],
      `${file}: the columns, Unicode names intact, pandas' index recognised`,
    );
    ['f0', 'température', '温度', 'score'].forEach((c, i) => assert.deepEqual(numericColumn(r.table.getChild(c)!), refCols[i], `${file}: ${c}`));
    assert.equal(String(r.table.getChild('label')!.get(3)), String(ref.getChild('label')!.get(3)));
  }
  assert.deepEqual(readTableSync(fx('pandas-default.csv')).dropped.map((d) => d.column), ['(unnamed column 1)']);
});

test('every fixture fits through selectFeatures and finds the planted features; names survive save and load', async () => {
  const dir = tmp();
  try {
    for (const [file] of WRITTEN_BY) {
      const sel = await selectFeatures(fx(file), FIT);
      assert.deepEqual([...sel.features].sort(), [...PLANTED].sort(), `${file}: selected ${sel.features.join(', ')}`);
      assert.ok(sel.metric.mean > 0.9, `${file}: accuracy ${sel.metric.mean}`);
      assert.deepEqual(sel.classes, ['a', 'b', 'c', 'd']);
      const reasons = Object.fromEntries(sel.ignored.map((g) => [g.column, g.reason]));
      assert.equal(reasons.id, 'excluded');
      assert.equal(reasons.label, 'the target');
      const f = path.join(dir, `${file}.json`);
      sel.save(f);
      const back = FeatureSelection.load(f);
      assert.deepEqual(back.features, sel.features);
      assert.deepEqual(back.data.inputFeatures, sel.data.inputFeatures);
      // transform: the selected columns once each, in the input's column order (X[:, getSupport()])
      const narrow = back.transform(fx(file));
      const support = back.getSupport();
      assert.deepEqual(
        narrow.schema.fields.map((x) => x.name),
        back.data.inputFeatures.filter((_, j) => support[j]),
      );
      assert.deepEqual([...narrow.schema.fields.map((x) => x.name)].sort(), [...new Set(sel.features)].sort());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a float target with non-integer values is regression; an explicit task wins; one class and too many classes are refused', async () => {
  const reg = await selectFeatures(fx('polars-default.parquet'), { ...FIT, target: 'score', exclude: ['id', 'label'] });
  assert.equal(reg.data.task, 'regression');
  assert.equal(reg.metric.name, 'mse');
  assert.deepEqual([...new Set(reg.features)].sort().length >= 1, true);
  const t = readTableSync(fx('pandas-default.csv')).table;
  const kept = prepareTable(t, { target: 'score', task: 'classification', exclude: ['id', 'label'] });
  assert.equal(kept.classes!.length, 240, 'an explicit classification keeps 240 classes');
  const ints = tableFromArrays({ a: Float64Array.from({ length: 40 }, (_, i) => i), y: Float64Array.from({ length: 40 }, (_, i) => i % 3) });
  assert.equal(prepareTable(ints, { target: 'y' }).task, 'classification', 'a float target of whole numbers is classes');
  const many = tableFromArrays({ a: Float64Array.from({ length: 40 }, (_, i) => i), y: Int32Array.from({ length: 40 }, (_, i) => i) });
  assert.throws(() => prepareTable(many, { target: 'y' }), /'y' \(int32\) has 40 distinct values for 24 training rows.*task: 'regression'/);
  const one = tableFromArrays({ a: Float64Array.from({ length: 10 }, (_, i) => i), y: ['z', 'z', 'z', 'z', 'z', 'z', 'z', 'z', 'z', 'z'] });
  assert.throws(() => prepareTable(one, { target: 'y' }), /at least two classes in the target column 'y' but every row is 'z'/);
});

test('the column-type policy: every Arrow type is a feature, a category, an error or ignored (with its reason)', () => {
  const t = readTableSync(fx('types.arrow')).table;
  const expected: Record<string, [string, string]> = {
    int8: ['numeric', 'int8'], int16: ['numeric', 'int16'], int32: ['numeric', 'int32'], int64: ['numeric', 'int64'],
    uint8: ['numeric', 'uint8'], uint16: ['numeric', 'uint16'], uint32: ['numeric', 'uint32'], uint64: ['numeric', 'uint64'],
    float16: ['numeric', 'float16'], float32: ['numeric', 'float32'], float64: ['numeric', 'float64'], decimal128: ['numeric', 'decimal128'],
    bool: ['numeric', 'bool'], utf8: ['category', 'utf8'], large_utf8: ['category', 'large_utf8'], utf8_view: ['category', 'utf8_view'],
    dictionary: ['category', 'dictionary'], date32: ['unsupported', 'date'], date64: ['unsupported', 'date'], timestamp: ['unsupported', 'timestamp'],
    time32: ['unsupported', 'time'], duration: ['unsupported', 'duration'], list: ['unsupported', 'list'], struct: ['unsupported', 'struct'],
    null: ['null', 'null'],
  };
  for (const f of t.schema.fields) {
    const p = columnPolicy(f.type);
    assert.deepEqual([p.kind, p.typeName], expected[f.name], f.name);
  }
  // numeric conversions are exact
  const val = (c: string) => Array.from(numericColumn(t.getChild(c)!));
  assert.deepEqual(val('float16'), [0.5, 1.5, -2, 3, 4.25, 5]);
  assert.deepEqual(val('decimal128'), [1.25, -2.5, 3, 0.01, 12345.67, -0.1]);
  assert.deepEqual(val('bool'), [1, 0, 1, 1, 0, 0]);
  assert.deepEqual(val('uint64'), [0, 1, 2, 3, 4, 5]);
  const sliced = t.slice(2, 5);
  assert.deepEqual(Array.from(numericColumn(sliced.getChild('bool')!)), [1, 1, 0], 'a sliced bool column keeps its bit offset');
  const categories = ['utf8', 'large_utf8', 'utf8_view', 'dictionary'];
  const unsupported = ['date32', 'date64', 'timestamp', 'time32', 'duration', 'list', 'struct'];
  const opts = { split: { fractions: [0.5, 0.17, 0.33] as [number, number, number] } };
  assert.throws(() => prepareTable(t, { ...opts, exclude: unsupported }), /'utf8', 'large_utf8', 'utf8_view', 'dictionary' are text \(a category\).*exclude.*categorical: 'onehot'/);
  assert.throws(() => prepareTable(t, { ...opts, exclude: categories }), /'date32' \(date is a date or time.*'list' \(list is a nested type/);
  const p = prepareTable(t, { ...opts, exclude: [...categories, ...unsupported] });
  assert.deepEqual(p.featureNames, Object.keys(expected).filter((k) => expected[k][0] === 'numeric'));
  assert.deepEqual(p.ignored.find((g) => g.column === 'null'), { column: 'null', reason: 'type null: the column has no values' });
  assert.equal(p.ignored.length, categories.length + unsupported.length + 1);
  const hot = prepareTable(t, { ...opts, exclude: unsupported, categorical: 'onehot', features: undefined });
  assert.ok(hot.featureNames.includes('utf8=a') && hot.featureNames.includes('dictionary=z') && hot.featureNames.includes('utf8_view=c'));
  assert.deepEqual(hot.encodings.find((e) => e.column === 'utf8'), { column: 'utf8', categories: ['a', 'b', 'c'] });
  // as targets: text, dictionary, bool and ints are classes; a date is refused
  for (const c of ['utf8_view', 'dictionary', 'bool', 'uint64', 'int8'])
    assert.equal(prepareTable(t, { ...opts, target: c, exclude: [...categories, ...unsupported].filter((x) => x !== c), task: 'classification' }).task, 'classification', c);
  assert.throws(() => prepareTable(t, { ...opts, target: 'date32', exclude: [...categories, ...unsupported].filter((x) => x !== 'date32') }), /target column .* 'date32' is date/);
});

test('names: duplicate and empty column names are errors that name them', () => {
  assert.throws(() => readTableSync(fx('duplicate-names.arrow')), (e: any) => e.code === 'ERR_DATA' && /duplicate-names\.arrow.*'x' repeats/.test(e.message));
  const dir = tmp();
  try {
    const dupCsv = path.join(dir, 'dup.csv');
    writeFileSync(dupCsv, 'a,b,a\n1,2,3\n');
    assert.throws(() => readTableSync(dupCsv), /dup\.csv: line 1: duplicate column name 'a' \(columns 1 and 3\)/);
    const emptyCsv = path.join(dir, 'empty.csv');
    writeFileSync(emptyCsv, 'a,,c\n1,2,3\n');
    assert.throws(() => readTableSync(emptyCsv), /empty\.csv: line 1: column 2 has an empty name/);
    assert.throws(() => readTableSync([{ '': 1 }]), /non-empty column names/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV rows are checked: a ragged row and a shifted value name the file, the line and the column', () => {
  const dir = tmp();
  try {
    const good = readFileSync(fx('pandas-tab.tsv'), 'utf8').split('\n');
    const ragged = path.join(dir, 'ragged.tsv');
    writeFileSync(ragged, [...good.slice(0, 10), good[10].split('\t').slice(0, -1).join('\t'), ...good.slice(11)].join('\n'));
    assert.throws(() => readTableSync(ragged), (e: any) => e.code === 'ERR_DATA' && /ragged\.tsv: line 11 has 12 field\(s\), expected 13/.test(e.message));
    const shifted = path.join(dir, 'shifted.csv');
    const rows = readFileSync(fx('pandas-default.csv'), 'utf8').split('\n');
    const f = rows[20].split(',');
    f.splice(3, 1); // one value lost: everything after it moves one column left
    f.push('');
    rows[20] = f.join(',');
    writeFileSync(shifted, rows.join('\n'));
    assert.throws(() => readTableSync(shifted), /shifted\.csv: line 21, column '.*': expected a number .* but found/);
    const quoted = path.join(dir, 'quoted.csv');
    writeFileSync(quoted, 'name,x,y\n"a, with comma",1,2\n"two\nlines",3,4\nplain,5,6\n');
    const q = readTableSync(quoted).table;
    assert.deepEqual([...q.getChild('name')!].map(String), ['a, with comma', 'two\nlines', 'plain']);
    writeFileSync(quoted, 'name,x,y\n"two\nlines",3,4\nplain,5\n');
    assert.throws(() => readTableSync(quoted), /quoted\.csv: line 4 has 2 field/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Mice Protein CSV: a shifted row is an error naming the line and the column, not mislabelled data', { skip: !existsSync('../shared/datasets/mice-protein/Data_Cortex_Nuclear.csv.gz') }, () => {
  const dir = tmp();
  try {
    const text = spawnSync('zcat', ['../shared/datasets/mice-protein/Data_Cortex_Nuclear.csv.gz'], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
    const lines = text.split('\n').slice(0, 40);
    const file = path.join(dir, 'Data_Cortex_Nuclear.csv');
    writeFileSync(file, lines.join('\n'));
    assert.equal(readMiceCsv(file).x.length, 39);
    const f = lines[7].split(',');
    f.splice(5, 1);
    f.push('');
    lines[7] = f.join(',');
    writeFileSync(file, lines.join('\n'));
    assert.throws(() => readMiceCsv(file), /Data_Cortex_Nuclear\.csv: line 8, column 'Genotype': expected Control or Ts65Dn but found '.*' \(a shifted row\?\)/);
    lines[7] = f.slice(0, -1).join(',');
    writeFileSync(file, lines.join('\n'));
    assert.throws(() => readMiceCsv(file), /line 8 has 81 fields, expected 82/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in-memory inputs: row objects and matrices fit; wrong shapes are clear errors, not TypeErrors', async () => {
  const t = readTableSync(fx('pyarrow-stream.arrows')).table;
  const rows = Array.from({ length: t.numRows }, (_, i) => Object.fromEntries(['température', 'f1', '温度', 'f3', 'label'].map((c) => [c, c === 'label' ? String(t.getChild(c)!.get(i)) : Number(t.getChild(c)!.get(i))])));
  const a = await selectFeatures(rows, { ...FIT, exclude: [] });
  assert.deepEqual([...a.features].sort(), [...PLANTED].sort());
  const names = ['température', 'f1', '温度', 'f3'];
  const x = new Float32Array(t.numRows * 4);
  rows.forEach((r, i) => names.forEach((n, j) => (x[i * 4 + j] = r[n] as number)));
  const b = await selectFeatures({ x, featureNames: names, y: rows.map((r) => r.label as string) }, { ...FIT, target: undefined, exclude: [] });
  assert.deepEqual([...b.features].sort(), [...PLANTED].sort());
  assert.deepEqual(b.ignored, [{ column: 'y', reason: 'the target' }]);
  const c = await selectFeatures({ x: rows.map((r) => names.map((n) => r[n] as number)), featureNames: names, y: rows.map((r) => r.label as string) }, { ...FIT, target: undefined, exclude: [] });
  assert.deepEqual(c.features, b.features);
  const bad = async (input: unknown, re: RegExp) =>
    assert.rejects(selectFeatures(input as never, { k: 1 }), (e: any) => e.code === 'ERR_INVALID_ARGUMENT' && re.test(e.message));
  await bad(42, /Expected the table to be a file path .*but received 42/);
  await bad(new Float32Array(6), /Expected the table to be/);
  await bad({ x: new Float32Array(6) }, /featureNames with a flat typed-array x/);
  await bad({ x: [[1, 2], [3]] }, /every row of x to have 2 values but x\[1\] has 1/);
  await bad([{ a: 1 }, { a: 'two' }], /column 'a' mixes numbers and strings \(rows\[1\] is 'two'\)/);
  await bad([{ a: 1 }, { a: 2, b: 3 }], /rows\[1\] has 'b' too/);
  await bad([], /at least one row/);
});

test('bad files: truncated ones of each format, unknown formats and nested Parquet are refused, naming the file; nothing is written', () => {
  const dir = tmp();
  try {
    const cut = (f: string, keep: number) => {
      const b = readFileSync(fx(f));
      const out = path.join(dir, `cut-${f}`);
      writeFileSync(out, b.subarray(0, Math.floor(b.length * keep)));
      return out;
    };
    const dataErr = (file: string, re: RegExp) => assert.throws(() => readTableSync(file), (e: any) => e.code === 'ERR_DATA' && e.message.includes(file) && re.test(e.message), file);
    dataErr(cut('pyarrow-default.feather', 0.6), /truncated Arrow IPC file/);
    dataErr(cut('pyarrow-stream.arrows', 0.6), /truncated Arrow IPC stream/);
    dataErr(cut('pyarrow-default.parquet', 0.6), /truncated Parquet file/);
    dataErr(cut('pandas-default.csv', 0.5), /line \d+ has \d+ field\(s\), expected 14/);
    const gz = path.join(dir, 'table.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(fx('pandas-default.csv'))));
    assert.equal(readTableSync(gz).table.numRows, 240, 'gzip of a CSV is read');
    writeFileSync(gz, gzipSync(readFileSync(fx('pandas-default.csv'))).subarray(0, 2000));
    dataErr(gz, /damaged or truncated gzip/);
    const xls = path.join(dir, 'book.xls');
    writeFileSync(xls, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]));
    dataErr(xls, /Excel 97 workbook: export the sheet as CSV or Parquet; expected Arrow IPC file or stream.*Parquet, CSV/);
    const empty = path.join(dir, 'empty.arrow');
    writeFileSync(empty, '');
    dataErr(empty, /the file is empty/);
    assert.throws(() => prepareTable(readTableSync(fx('nested.parquet')).table, {}), /'tags' \(list is a nested type: flatten it/);
    assert.throws(() => readTableSync(path.join(dir, 'none.parquet')), /Cannot read the table file .*none\.parquet: no such file/);
    // The CLI refuses before writing anything
    const out = path.join(dir, 'run');
    const r = spawnSync(process.execPath, [path.resolve('dist/lib/cli/run.js'), '--dataset', cut('pyarrow-default.parquet', 0.5), '--target', 'label', '--k', '2', '--out', out, '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cut-pyarrow-default\.parquet: a truncated Parquet file/);
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('large files are read and prepared on a worker thread: the event loop keeps running and the result is the same', async () => {
  const dir = tmp();
  try {
    const n = 6000,
      d = 60;
    const lines = [['label', ...Array.from({ length: d }, (_, j) => `c${j}`)].join(',')];
    for (let i = 0; i < n; i++) lines.push([i % 3, ...Array.from({ length: d }, (_, j) => ((i * 7919 + j * 104729) % 1000) / 7)].join(','));
    const file = path.join(dir, 'big.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const turns = countLoopTurns();
    const r = await readAndPrepare(file, { target: 'label' });
    const ticks = turns.stop();
    assert.ok(ticks > 5, `the event loop ran ${ticks} times during the read`);
    const inline = prepareTable(readTableSync(file).table, { target: 'label' });
    assert.deepEqual(r.prep.featureNames, inline.featureNames);
    assert.deepEqual(Buffer.from(r.prep.splits.train.x.buffer), Buffer.from(inline.splits.train.x.buffer));
    assert.deepEqual(Array.from(r.prep.splits.test.y!), Array.from(inline.splits.test.y!));
    await assert.rejects(readAndPrepare(file, { target: 'nope' }), (e: any) => e.code === 'ERR_INVALID_ARGUMENT' && /'nope' for target/.test(e.message) && /tables\.test/.test(e.stack));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI trains on CSV, Feather and Parquet files, prints the columns it does not use, and runs regression', () => {
  const dir = tmp();
  try {
    const cli = path.resolve('dist/lib/cli/run.js');
    const common = ['--k', '2', '--epochs', '100', '--batch-size', '32', '--lr', '0.01', '--seeds', '1'];
    for (const f of ['pandas-default.csv', 'pyarrow-default.feather', 'polars-default.parquet']) {
      const out = path.join(dir, f);
      const r = spawnSync(process.execPath, [cli, '--dataset', fx(f), '--target', 'label', '--exclude', 'id,score', ...common, '--out', out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /column 'id' is not a feature: excluded/);
      if (f.endsWith('.csv')) assert.match(r.stdout, /column '\(unnamed column 1\)' is not a feature: pandas' row index/);
      const sel = JSON.parse(readFileSync(path.join(out, 'selection-1.json'), 'utf8'));
      assert.deepEqual([...sel.names].sort(), [...PLANTED].sort(), f);
    }
    const noisy = spawnSync(process.execPath, [cli, '--dataset', fx('pandas-default.csv'), '--target', 'score', '--exclude', 'id,label', ...common, '--out', path.join(dir, 'x')], { encoding: 'utf8' });
    assert.equal(noisy.status, 2, 'a continuous target without --task regression is a usage error');
    assert.match(noisy.stderr, /target 'score' is float64 with non-integer values.*--task regression/);
    const out = path.join(dir, 'reg');
    const r = spawnSync(process.execPath, [cli, '--dataset', fx('pandas-default.csv'), '--task', 'regression', '--target', 'score', '--exclude', 'id,label', ...common, '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /test MSE/);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.metric, 'mse');
    const info = spawnSync(process.execPath, [path.resolve('dist/lib/cli/ipcae.js'), 'data', 'info', fx('polars-default.arrow')], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    const j = JSON.parse(info.stdout);
    assert.equal(j.format, 'arrow-file');
    assert.deepEqual(j.columns.find((c: any) => c.name === 'label'), { name: 'label', type: 'utf8_view', nulls: 0, use: 'category (exclude it, use it as the target, or --categorical onehot)', reason: 'utf8_view is a category, not a number' });
    const bad = spawnSync(process.execPath, [cli, '--dataset', fx('pandas-default.csv'), '--target', 'label', '--impute', 'median', '--k', '2'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Expected 'error' or 'mean' for --impute but received 'median'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing values: refused with counts, or imputed with train means on request', () => {
  const t = tableFromArrays({ a: Float64Array.from([1, NaN, 3, 4, 5, 6, 7, 8, 9, 10]), b: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) });
  assert.throws(() => prepareTable(t, {}), /Expected no missing values but found 1 in 'a': set impute: 'mean' \(--impute mean\)/);
  const p = prepareTable(t, { impute: 'mean', scaling: 'none' });
  assert.ok(p.splits.train.x.every(Number.isFinite) && p.splits.val.x.every(Number.isFinite) && p.splits.test.x.every(Number.isFinite));
  assert.ok(new Table(t.batches).numRows === 10);
});

test('wide tables: the linear Schema.assign gives exactly apache-arrow own result (duplicates, metadata, dictionaries)', async () => {
  const { Schema, Field, Float32, Int32, Utf8, Dictionary, Struct } = await import('apache-arrow');
  const { upstreamAssign, linearAssign } = await import('../lib/tables/arrow-wide.js');
  const md = (o: Record<string, string>) => new Map(Object.entries(o));
  const dict = new Dictionary(new Utf8(), new Int32(), 7);
  const base = new Schema(
    [
      new Field('a', new Float32(), false, md({ unit: 'cm' })),
      new Field('b', new Int32()),
      new Field('a', new Int32(), true, md({ second: 'yes' })), // a duplicate name: upstream replaces the first only
      new Field('s', new Struct([new Field('x', dict)])),
    ],
    md({ writer: 'test' }),
  );
  const others: unknown[][] = [
    [[...base.fields]],
    [[new Field('a', new Utf8(), true, md({ unit: 'mm', note: 'n' })), new Field('c', dict), new Field('a', new Float32())]],
    [new Schema([new Field('b', new Float32(), true)], md({ writer: 'other', more: '1' }))],
    [new Field('d', new Int32()), new Field('b', new Utf8())],
  ];
  const describe = (s: InstanceType<typeof Schema>) => ({
    fields: s.fields.map((f) => [f.name, String(f.type), f.nullable, [...f.metadata]]),
    metadata: [...s.metadata],
    dictionaries: [...s.dictionaries.keys()],
  });
  for (const args of others) assert.deepEqual(describe(linearAssign.apply(base, args)), describe(upstreamAssign.apply(base, args)));
  // installed: apache-arrow's own tables use it
  assert.equal(Schema.prototype.assign, linearAssign);
});

test('a CSV file is read in blocks exactly as from memory: quoted newlines, text columns, line numbers across every boundary', async () => {
  const { readCsv, readCsvFile, setCsvChunkingForTest } = await import('../lib/tables/csv.js');
  const dir = tmp();
  try {
    const lines = ['\ufeffa,b,note'];
    for (let i = 0; i < 1500; i++) lines.push(`${i * 0.5},${i % 7},${i % 97 === 0 ? `"two\nlines, ${i}"` : `n${i % 3}`}`);
    const file = path.join(dir, 'blocks.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const whole = readCsv(readFileSync(file), file);
    setCsvChunkingForTest(64, 200); // pieces of ~64 bytes, blocks of 200: hundreds of boundaries
    try {
      const blocks = readCsvFile(file);
      assert.equal(blocks.table.numRows, 1500);
      assert.deepEqual(blocks.table.schema.fields.map((f) => `${f.name}:${f.type}`), whole.table.schema.fields.map((f) => `${f.name}:${f.type}`));
      for (const name of ['a', 'b', 'note']) assert.deepEqual(blocks.table.getChild(name)!.toArray(), whole.table.getChild(name)!.toArray(), name);
      assert.equal(blocks.table.getChild('note')!.get(97), 'two\nlines, 97');
      // an error names the same line either way (a ragged row after quoted newlines)
      writeFileSync(file, lines.slice(0, 1200).join('\n') + '\n1,2\n');
      const errOf = (f: () => unknown) => {
        try {
          f();
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      };
      const fromFile = errOf(() => readCsvFile(file));
      assert.match(fromFile, /line 1214 has 2 field\(s\), expected 3/);
      setCsvChunkingForTest();
      assert.equal(fromFile, errOf(() => readCsv(readFileSync(file), file)));
    } finally {
      setCsvChunkingForTest();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('column objects ({ name: values }) and tables with toArrow() (Arquero) are read; uneven columns are a clear error', async () => {
  const n = 300;
  let s = 3;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const a = Float32Array.from({ length: n }, r),
    b = Float64Array.from({ length: n }, r),
    x = Array.from({ length: n }, r); // a column named x of plain numbers: a column, not a matrix
  const noise = Array.from({ length: n }, r);
  const label = Array.from({ length: n }, (_, i) => (a[i] + x[i] > 1 ? 'hi' : 'lo'));
  const columns = { a, b, x, noise, label };
  const t = readTableSync(columns);
  assert.equal(t.format, 'columns');
  assert.deepEqual(t.table.schema.fields.map((f) => `${f.name}:${f.type}`), ['a:Float32', 'b:Float64', 'x:Float64', 'noise:Float64', 'label:Utf8']);
  assert.equal(t.table.getChild('x')!.get(7), x[7]);
  const sel = await selectFeatures(columns, { k: 2, target: 'label', seeds: [1], epochs: 60, batchSize: 32, lr: 0.01 });
  assert.deepEqual([...sel.features].sort(), ['a', 'x']);
  // transform is scikit-learn's X[:, getSupport()]: the input's column order, whatever the nodes' order
  const support = sel.getSupport();
  assert.deepEqual(sel.transform(columns).schema.fields.map((f) => f.name), sel.data.inputFeatures.filter((_, j) => support[j]));
  assert.deepEqual(sel.getFeatureNamesOut(), ['a', 'x']);
  // what transform returns, written as any format the readers take (the library's writeTable)
  const { writeTable } = await import('../lib/index.js');
  const dir = tmp();
  try {
    for (const ext of ['parquet', 'arrow', 'csv']) {
      const file = path.join(dir, `narrow.${ext}`);
      writeTable(file, sel.transform(columns));
      const back = readTableSync(file).table;
      assert.deepEqual(back.schema.fields.map((f) => f.name), ['a', 'x'], ext);
      assert.ok(Math.abs(Number(back.getChild('x')!.get(3)) - x[3]) < 1e-12, ext);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // the same through toArrow()
  const arquero = { toArrow: () => tableFromArrays({ a, b }) };
  assert.deepEqual(readTableSync(arquero as never).table.schema.fields.map((f) => f.name), ['a', 'b']);
  assert.throws(() => readTableSync({ a: [1, 2, 3], b: [1, 2] }), /Expected every column to have the same length but column 'b' has 2 values and 'a' has 3/);
  assert.throws(() => readTableSync({ a: [1, 'two', 3] }), /column 'a' mixes numbers and strings \(a\[1\] is 'two'\)/);
});

test("numbers written as text (DuckDB's BIGINT / DECIMAL in JSON rows) are named as such, with a cast as the cure", async () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ big: String(1000 + i), price: (i / 4).toFixed(2), kind: i % 2 ? 'a' : 'b', v: i / 30, label: i % 3 ? 'p' : 'q' }));
  await assert.rejects(
    selectFeatures(rows, { k: 1, target: 'label', epochs: 1, seeds: [1] }),
    /'big', 'price' hold numbers written as text \(DuckDB's JSON rows give BIGINT and DECIMAL so\): cast them to numbers \(SQL CAST\(… AS DOUBLE\), or Number\(\) in JS\) before fitting; 'kind' text \(a category\)/,
  );
  // plain text keeps its advice
  await assert.rejects(selectFeatures(rows.map(({ big, price, ...r }) => r), { k: 1, target: 'label', epochs: 1, seeds: [1] }), /'kind' is text \(a category\): list it in exclude/);
});
