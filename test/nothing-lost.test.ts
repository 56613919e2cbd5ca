// Nothing lost, round three: each defect of the hostile-user round has a test here that failed on
// the code before its fix (short writes committed whole, unchecked library states, diverged runs
// breaking reports, baselines accepting K > D, formula cells in CSV exports, wide CSV headers that
// hang, foreign Arrow tables in transform), plus the cheap weak cases.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as arrow17 from 'apache-arrow-17';
import { IpcaeError, selectFeatures, readTableAsync } from '../lib/index.js';
import { writeAtomic } from '../lib/files/atomic.js';
import { lockDirectory } from '../lib/files/lock.js';
import { readTableSync } from '../lib/tables/read.js';
import { writeTable } from '../lib/tables/write.js';
import { pipelineTable, rejectsWith, rng, tinyTrainer } from './helpers.js';

const runCli = path.resolve('dist/lib/cli/run.js');
const ipcae = path.resolve('dist/lib/cli/ipcae.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-lost-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const node = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...env } });

// --- 1. a short write is never committed -----------------------------------------------------

test('a full disk: the write fails with ERR_OUTPUT naming the path and the free space; the old file stays whole', (t) => {
  const dir = path.join(root, 'small-disk');
  mkdirSync(dir);
  if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status !== 0) {
    t.skip('needs root to mount a small tmpfs');
    return;
  }
  try {
    const file = path.join(dir, 'out.csv');
    writeAtomic(file, 'a,b\n1,2\n');
    const big = Buffer.alloc(200_000, 0x31);
    assert.throws(
      () => writeAtomic(file, big),
      (e: unknown) =>
        e instanceof IpcaeError && e.code === 'ERR_OUTPUT' && e.message.includes(file) && /device is full \(.* of 195\.3 KiB written; .* free\)/.test(e.message),
    );
    assert.equal(readFileSync(file, 'utf8'), 'a,b\n1,2\n', 'the committed file is unchanged');
    assert.deepEqual(readdirSync(dir), ['out.csv'], 'no temporary file is left');
    // a table written through writeTable (ipcae impute / export) fails the same way
    const rows = 20_000;
    const wide = tableFromArrays({ x: Float64Array.from({ length: rows }, (_, i) => i / 7), y: Float64Array.from({ length: rows }, (_, i) => i / 3) });
    assert.throws(() => writeTable(path.join(dir, 'imputed.csv'), wide), (e: unknown) => e instanceof IpcaeError && e.code === 'ERR_OUTPUT' && /imputed\.csv: the device is full/.test(e.message));
    assert.deepEqual(readdirSync(dir), ['out.csv']);
  } finally {
    spawnSync('umount', [dir]);
  }
});

// --- 2. library states are signed --------------------------------------------------------------

test('saveState bytes carry a checksum: every flipped bit, truncation or other configuration is refused', async () => {
  const t = await tinyTrainer({ seeds: [1, 2] });
  try {
    await t.fit({ epochs: 2 });
    const state = await t.saveState();
    const before = t.getParameters();
    const r = rng(9);
    const positions = new Set<number>();
    for (let i = 0; i < 160; i++) positions.add(i); // the header
    for (let i = state.length - 80; i < state.length; i++) positions.add(i); // the checksum line
    while (positions.size < 160 + 80 + 200) positions.add(Math.floor(r() * state.length)); // the archive
    let accepted = 0;
    for (const at of positions) {
      const bit = 1 << Math.floor(r() * 8);
      const bad = Buffer.from(state);
      bad[at] ^= bit;
      try {
        await t.loadState(bad);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof IpcaeError && e.code === 'ERR_INVALID_ARGUMENT', String(e));
      }
    }
    assert.equal(accepted, 0, `${accepted} of ${positions.size} flipped states were accepted`);
    for (const n of [0, 10, state.length - 1]) await rejectsWith(() => t.loadState(state.subarray(0, n)), 'ERR_INVALID_ARGUMENT', /saved ipcae trainer state/);
    assert.deepEqual(t.getParameters(), before, 'no refused state changed the trainer');
    await t.loadState(state);
    assert.deepEqual(t.getParameters(), before);
  } finally {
    t.dispose();
  }
});

test('a state saved before states were signed still loads, with a warning', async () => {
  const t = await tinyTrainer();
  try {
    await t.fit({ epochs: 1 });
    const bare = await t.saveArchive(); // what saveState returned before: the archive alone
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      await t.loadState(bare);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(warnings.some((w) => (w as { code?: string }).code === 'IPCAE_UNSIGNED_STATE' && /no checksum/.test(w.message)));
  } finally {
    t.dispose();
  }
});

test('states of any size: streamed in parts (forced small here), to a file and back, bit for bit', async () => {
  process.env.IPCAE_TEST_STATE_CHUNK = '4096';
  const t = await tinyTrainer({ seeds: [1, 2, 3] });
  const u = await tinyTrainer({ seeds: [1, 2, 3] });
  try {
    await t.fit({ epochs: 2 });
    const parts = await t.saveStateParts();
    assert.ok(parts.length > 4, `${parts.length} parts`);
    assert.ok(parts.every((p) => p.length <= 4096 || p === parts[0]), 'the native state comes in chunks of at most 4 KiB');
    const file = path.join(root, 'state.ipcae');
    await t.saveStateTo(file);
    assert.deepEqual(readFileSync(file), Buffer.concat(parts));
    await u.loadStateFrom(file); // read back in 4 KiB parts as well
    assert.deepEqual(u.getParameters(), t.getParameters());
    assert.deepEqual(u.info().epoch, t.info().epoch);
    await u.loadState(parts);
    const joined = await t.saveState();
    assert.deepEqual(joined, Buffer.concat(parts), 'saveState is the parts joined');
  } finally {
    delete process.env.IPCAE_TEST_STATE_CHUNK;
    t.dispose();
    u.dispose();
  }
});

// --- 3.–5. runs: diverged ones in reports, K against D, formula cells ------------------------------

const FORMULA_NAMES = ['=HYPERLINK("http://x","y")', '=CMD()', '@A1', '+SUM(1+1)', '-2+3'];
function formulaTable(rows: number) {
  const r = rng(4);
  const cols: Record<string, Float32Array> = {};
  for (const n of FORMULA_NAMES) cols[n] = Float32Array.from({ length: rows }, () => r() * 10);
  const label = Array.from({ length: rows }, (_, i) => (cols['@A1'][i] + cols['-2+3'][i] > 10 ? 'high' : '=low'));
  return tableFromArrays({ ...cols, label });
}
const formulaFile = path.join(root, 'formulas.arrow');
writeFileSync(formulaFile, tableToIPC(formulaTable(120), 'file'));
const twentyFile = path.join(root, 'twenty.arrow');
{
  const r = rng(5);
  const cols: Record<string, Float32Array> = {};
  for (let j = 0; j < 20; j++) cols[`f${j}`] = Float32Array.from({ length: 100 }, () => r());
  writeFileSync(twentyFile, tableToIPC(tableFromArrays({ ...cols, label: Array.from({ length: 100 }, (_, i) => (cols.f0[i] > 0.5 ? 'a' : 'b')) }), 'file'));
}
const runArgs = (file: string, out: string, ...extra: string[]) => [runCli, '--dataset', file, '--target', 'label', '--epochs', '2', '--seeds', '1,2', '--batch-size', '16', '--out', out, '--quiet', '--no-figures', ...extra];

test('a run whose seeds all diverged is valid input to compare and report; the good run is reported beside it', () => {
  const good = path.join(root, 'runs', 'good');
  const bad = path.join(root, 'runs', 'diverged');
  assert.equal(node(runArgs(formulaFile, good, '--k', '2')).status, 0);
  const d = node(runArgs(formulaFile, bad, '--k', '2', '--lr', '1e30'));
  assert.equal(d.status, 1, d.stderr);
  assert.match(d.stderr, /no seed has a result/);
  const c = node([ipcae, 'compare', good, bad]);
  assert.equal(c.status, 0, c.stderr);
  const rows = c.stdout.split('\n').filter((l) => l.startsWith('| ip-cae'));
  assert.equal(rows.length, 2, c.stdout);
  assert.match(rows.join('\n'), /\| \d+\.\d\d ± \d+\.\d\d \(UP \d+ %\)/, 'the good run has its number');
  assert.match(rows.join('\n'), /diverged \(no seed has a result\)/);
  const tree = node([ipcae, 'compare', path.join(root, 'runs')]);
  assert.equal(tree.status, 0, tree.stderr);
  const rep = node([ipcae, 'report', good, bad, '--out', path.join(root, 'report-both')]);
  assert.equal(rep.status, 0, rep.stderr);
  const html = readFileSync(path.join(root, 'report-both', 'index.html'), 'utf8');
  assert.match(html, /diverged \(no seed has a result\)/);
  const alone = node([ipcae, 'report', bad, '--out', path.join(root, 'report-diverged')]);
  assert.equal(alone.status, 0, alone.stderr);
});

test('every method refuses K > D before training, naming --k and D; a K list is checked whole first', () => {
  for (const method of ['stg', 'lassonet', 'ip-cae']) {
    const out = path.join(root, `k25-${method}`);
    const r = node(runArgs(twentyFile, out, '--k', '25', '--method', method));
    assert.equal(r.status, 2, `${method}: ${r.stderr}`);
    assert.match(r.stderr, /Expected --k at most 20 \(the 20 features of .*twenty\.arrow\) but received 25/);
    assert.equal(existsSync(out), false, `${method}: nothing written`);
  }
  const out = path.join(root, 'k-list');
  const r = node(runArgs(twentyFile, out, '--k', '5,25', '--method', 'stg'));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /at most 20 .* received 25/);
  assert.equal(existsSync(out), false, 'K = 5 was not trained first');
});

test("csv exports escape formula cells (a leading '), numbers stay numbers; --csv-raw writes them as they are", () => {
  const run = path.join(root, 'runs', 'good');
  const out = path.join(root, 'export');
  const r = node([ipcae, 'export', run, '--format', 'csv', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(path.join(out, 'selections.csv'), 'utf8');
  const names = text.trim().split('\n').slice(1).map((l) => l.match(/^[^,]*,[^,]*,[^,]*,("(?:[^"]|"")*"|[^,]*)/)![1]);
  assert.ok(names.length > 0);
  for (const n of names) assert.match(n, /^"?'[=+\-@]/, `escaped: ${n}`);
  const metrics = readFileSync(path.join(out, 'metrics.csv'), 'utf8');
  assert.doesNotMatch(metrics, /'/, 'numbers are never escaped');
  const raw = node([ipcae, 'export', run, '--format', 'csv', '--out', path.join(root, 'export-raw'), '--csv-raw']);
  assert.equal(raw.status, 0, raw.stderr);
  assert.match(readFileSync(path.join(root, 'export-raw', 'selections.csv'), 'utf8'), /\n[^\n]*,(=|@|\+|-2\+3|"=)/);
  // a text cell of a user's table written by writeTable
  writeTable(path.join(root, 'cells.csv'), tableFromArrays({ name: ['=1+1', 'plain', '-x', '@y', '\tz'], v: Float64Array.from([-1.5, 2, -3, 4, 5]) }));
  assert.equal(readFileSync(path.join(root, 'cells.csv'), 'utf8'), "name,v\n'=1+1,-1.5\nplain,2\n'-x,-3\n'@y,4\n'\tz,5\n");
});

// --- 6. wide CSV headers --------------------------------------------------------------------------

function wideCsv(columns: number, rows: number): string {
  const header = Array.from({ length: columns }, (_, j) => `g${j}`).join(',') + ',label\n';
  const row = (i: number) => Array.from({ length: columns }, (_, j) => String((i * 7 + j) % 10)).join(',') + `,${i % 2}\n`;
  return header + Array.from({ length: rows }, (_, i) => row(i)).join('');
}

test('a CSV header of 200,000 columns parses (linear time: it took minutes before)', () => {
  const file = path.join(root, 'wide.csv');
  writeFileSync(file, wideCsv(200_000, 3));
  const { table } = readTableSync(file);
  assert.equal(table.numCols, 200_001);
  assert.equal(table.numRows, 3);
  assert.equal(table.schema.fields[199_999].name, 'g199999');
  assert.equal(table.getChildAt(199_999)!.get(2), (2 * 7 + 199_999) % 10);
});

test('a read is stopped by an AbortSignal at once, and ipcae-run by SIGTERM while it reads', async () => {
  const file = path.join(root, 'huge.csv');
  writeFileSync(file, wideCsv(1_000_000, 2)); // ≈ 12 MB: read on a worker thread
  const ac = new AbortController();
  const reading = readTableAsync(file, { signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  await rejectsWith(() => reading, 'ERR_CANCELLED', /table read was cancelled/);
  const child = spawn(process.execPath, [runCli, '--dataset', file, '--target', 'label', '--k', '3', '--out', path.join(root, 'huge-run')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  setTimeout(() => child.kill('SIGTERM'), 1500);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 143, stderr);
  assert.match(stderr, /stopped by SIGTERM while reading the data; nothing was written/);
  assert.equal(existsSync(path.join(root, 'huge-run')), false);
});

// --- transform on any Arrow copy -------------------------------------------------------------------

test('transform accepts a table of another apache-arrow copy (v17) as selectFeatures does', async () => {
  const mine = pipelineTable(120, 3);
  const cols: Record<string, unknown> = {};
  for (const [j, f] of mine.schema.fields.entries()) cols[f.name] = mine.getChildAt(j)!.toArray();
  const foreign = arrow17.tableFromArrays(cols as Parameters<typeof arrow17.tableFromArrays>[0]);
  assert.ok(!(foreign instanceof (await import('apache-arrow')).Table));
  const sel = await selectFeatures(foreign as never, { target: 'label', exclude: ['id'], k: 2, epochs: 2, seeds: [1], batchSize: 16 });
  const out = sel.transform(foreign as never);
  assert.deepEqual(out.schema.fields.map((f) => f.name), sel.getFeatureNamesOut());
  const name = sel.getFeatureNamesOut()[0];
  assert.deepEqual(Array.from(out.getChild(name)!.toArray() as Float64Array), Array.from(foreign.getChildAt(foreign.schema.fields.findIndex((f) => f.name === name))!.toArray() as Float32Array));
  // a selected column that is text in the new table is named, not a TypeError
  const texty = tableFromArrays({ ...Object.fromEntries(sel.getFeatureNamesOut().map((n) => [n, ['a', 'b']])) });
  assert.throws(() => sel.transform(texty), (e: unknown) => e instanceof IpcaeError && new RegExp(`selected column '${name.replace(/[()]/g, '\\$&')}' to hold numbers`).test(e.message));
});

// --- weak cases ---------------------------------------------------------------------------------

test('a symlinked --out takes the lock of the directory it points to', async () => {
  const real = path.join(root, 'real-out');
  mkdirSync(real);
  const link = path.join(root, 'link-out');
  symlinkSync(real, link);
  const release = await lockDirectory(real);
  try {
    const r = node(runArgs(formulaFile, link, '--k', '2'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /is being written by another ipcae process/);
  } finally {
    await release();
  }
});

test('a refused run leaves no directory; the default batch size is fitted to a small table, an explicit one is named', () => {
  const out = path.join(root, 'refused', 'run');
  const r = node(runArgs(formulaFile, out, '--k', '2', '--target', 'nope'));
  assert.equal(r.status, 2, r.stderr);
  assert.equal(existsSync(path.join(root, 'refused')), false, 'not even its parent');
  const small = path.join(root, 'small.arrow');
  writeFileSync(small, tableToIPC(formulaTable(60), 'file')); // 36 training rows
  const b = node([runCli, '--dataset', small, '--target', 'label', '--k', '2', '--epochs', '1', '--seeds', '1', '--out', path.join(root, 'small-run'), '--no-figures']);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /batch size 128 \(the default\) is more than the 36 training rows of .*: using 36/);
  const e = node([runCli, '--dataset', small, '--target', 'label', '--k', '2', '--batch-size', '500', '--out', path.join(root, 'small-run-2')]);
  assert.equal(e.status, 2, e.stderr);
  assert.match(e.stderr, /Expected --batch-size at most 36 \(the training rows of .*\) but received 500/);
});

test('a gzip bomb is refused at a documented limit, not inflated to gigabytes and called damaged', () => {
  const file = path.join(root, 'bomb.csv.gz');
  writeFileSync(file, gzipSync(Buffer.concat([Buffer.from('a,b\n'), Buffer.alloc(3 << 20, '1,2\n')])));
  const r = node(['-e', `import('${path.resolve('dist/lib/tables/read.js')}').then((m) => m.readTableSync(${JSON.stringify(file)})).catch((e) => { console.error(e.code, e.message); process.exit(3); })`], { IPCAE_MAX_INFLATED_BYTES: String(1 << 20) });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /ERR_DATA .*bomb\.csv\.gz: the gzip file inflates to more than 1048576 bytes .*IPCAE_MAX_INFLATED_BYTES/);
});

test('damaged Arrow batches, empty Arrow names and columns without values are errors naming the file or column', async () => {
  const { readTableBytes } = await import('../lib/tables/read.js');
  const t = tableFromArrays({ x: Float32Array.from({ length: 37 }, (_, i) => i), label: Int32Array.from({ length: 37 }, (_, i) => i % 2) });
  for (const claimed of [100n, 2n ** 40n]) {
    const b = Buffer.from(tableToIPC(t, 'stream'));
    const pat = Buffer.from([37, 0, 0, 0, 0, 0, 0, 0]); // the batch's length and its field nodes'
    for (let i = b.indexOf(pat, 8); i >= 0; i = b.indexOf(pat, i + 1)) b.writeBigInt64LE(claimed, i);
    assert.throws(
      () => readTableBytes(b, 'batch.arrows'),
      (e: unknown) => e instanceof IpcaeError && e.code === 'ERR_DATA' && new RegExp(`batch\\.arrows: a damaged Arrow IPC file: record batch 1 says ${claimed} rows`).test(e.message),
    );
  }
  const unnamed = tableToIPC(tableFromArrays({ '': Float32Array.from([1, 2]), b: Float32Array.from([3, 4]) }), 'file');
  assert.throws(() => readTableBytes(unnamed, 'unnamed.arrow'), (e: unknown) => e instanceof IpcaeError && /unnamed\.arrow: column 1 has an empty name/.test(e.message));
  const named = readTableBytes(tableToIPC(tableFromArrays({ null: Float32Array.from([1, 2]), b: Float32Array.from([3, 4]) }), 'file'), 'named.arrow');
  assert.deepEqual(named.table.schema.fields.map((f) => f.name), ['null', 'b'], "a column really named 'null' keeps its name");
  const holes = tableFromArrays({ a: Float64Array.from({ length: 40 }, (_, i) => i), empty: Float64Array.from({ length: 40 }, () => NaN), label: Array.from({ length: 40 }, (_, i) => (i % 2 ? 'x' : 'y')) });
  await rejectsWith(() => selectFeatures(holes, { target: 'label', k: 1, epochs: 1, impute: 'mean' } as never), 'ERR_INVALID_ARGUMENT', /values to impute column 'empty' from, but it has none in the \d+ training rows/);
});

test('the CLI names a directory given as --config, a path that does not exist, a foreign summary.json, an unfinished run', () => {
  const cfg = node(runArgs(formulaFile, path.join(root, 'cfg-run'), '--k', '2', '--config', root));
  assert.equal(cfg.status, 2, cfg.stderr);
  assert.match(cfg.stderr, /Config file .* cannot be read: it is a directory \(expected a YAML file\)/);
  const none = node([ipcae, 'compare', path.join(root, 'nonexistent')]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /nonexistent does not exist/);
  const foreign = path.join(root, 'foreign');
  mkdirSync(foreign);
  writeFileSync(path.join(foreign, 'summary.json'), JSON.stringify({ accuracy: 0.9 }));
  const f = node(runArgs(formulaFile, foreign, '--k', '2'));
  assert.equal(f.status, 1, f.stderr);
  assert.match(f.stderr, /summary\.json is not the summary of an ipcae run/);
  const unfinished = path.join(root, 'runs', 'unfinished');
  mkdirSync(unfinished, { recursive: true });
  writeFileSync(path.join(unfinished, 'config.json'), '{}');
  const rep = node([ipcae, 'report', path.join(root, 'runs'), '--out', path.join(root, 'report-tree')]);
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(rep.stderr, /skipped .*unfinished: the run has not finished/);
});

test('sweepK names the bad item; a cancelled selectFeatures speaks of selectFeatures', async () => {
  const table = pipelineTable(80, 7);
  await rejectsWith(() => selectFeatures(table, { target: 'label', exclude: ['id'], k: 2, epochs: 50, batchSize: 16, signal: AbortSignal.abort() } as never), 'ERR_CANCELLED', /table read was cancelled \(signal aborted\)/);
  const ac = new AbortController();
  await rejectsWith(
    () => selectFeatures(table, { target: 'label', exclude: ['id'], k: 2, epochs: 400, batchSize: 8, signal: ac.signal, onEpoch: () => ac.abort() } as never),
    'ERR_CANCELLED',
    /selectFeatures was cancelled \(signal aborted\) after \d+ of 400 epochs; nothing was selected/,
  );
  const { sweepK } = await import('../lib/index.js');
  await rejectsWith(() => sweepK(table, { target: 'label', exclude: ['id'], k: [2, 'x' as never], epochs: 1 }), 'ERR_INVALID_ARGUMENT', /options\.k\[1\] but received 'x'/);
  await rejectsWith(() => sweepK(table, { target: 'label', exclude: ['id'], k: [2, 3, 2], epochs: 1 }), 'ERR_INVALID_ARGUMENT', /options\.k\[2\]/);
});

test("a temporary file left by a killed writer of the same file is removed by the next write; a live writer's is kept", () => {
  const dir = path.join(root, 'strays');
  mkdirSync(dir);
  const page = path.join(dir, 'index.html');
  const dead = `${page}.tmp-999999-1`; // no such process
  const live = `${page}.tmp-${process.pid}-2`; // this process: a write in progress
  writeFileSync(dead, 'half');
  writeFileSync(live, 'half');
  const old = new Date(Date.now() - 120_000);
  for (const f of [dead, live]) utimesSync(f, old, old);
  writeAtomic(page, '<html></html>');
  assert.deepEqual(readdirSync(dir).sort(), ['index.html', path.basename(live)]);
});

test('file hashes are read in chunks (a table file over 2 GiB is hashed too) and agree with a whole-file hash', async () => {
  const { sha256File, sha256FileAsync } = await import('../lib/files/hash.js');
  const { createHash } = await import('node:crypto');
  const file = path.join(root, 'hash.bin');
  const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) & 255));
  writeFileSync(file, bytes);
  const whole = createHash('sha256').update(bytes).digest('hex');
  assert.equal(sha256File(file, 4096), whole, 'three chunks');
  assert.equal(await sha256FileAsync(file, 999), whole, 'eleven chunks');
  assert.equal(sha256File(file), whole);
});
