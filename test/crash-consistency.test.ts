// A run directory is a transaction: a kill between any two writes (fault injection at every write
// step) leaves a directory that the same command resumes to exactly the uninterrupted result, every
// epoch's metrics included; a damaged checkpoint is detected (every single-bit flip) and the
// previous one is used, saying so.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { decodeCheckpoint, encodeCheckpoint } from '../lib/experiment/checkpoint.js';
import { readParameters } from '../lib/experiment/run.js';
import { pipelineTable } from './helpers.js';

const cli = path.resolve('dist/lib/cli/run.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-crash-'));
const tableFile = path.join(root, 'tiny.arrow');
writeFileSync(tableFile, tableToIPC(pipelineTable(80, 7), 'file'));
// The run's own figures are drawn after the commit point; they have their own test below (drawing
// them at each of ~40 write steps would cost minutes).
const args = (out: string, figures = false) => [cli, '--dataset', tableFile, '--target', 'label', '--exclude', 'id', '--k', '2', '--epochs', '2', '--checkpoint-every', '1', '--seeds', '1', '--batch-size', '16', '--out', out, '--quiet', ...(figures ? [] : ['--no-figures'])];
const run = (out: string, env: Record<string, string> = {}, figures = false) => spawnSync(process.execPath, args(out, figures), { encoding: 'utf8', env: { ...process.env, ...env } });
let writeSteps = 0; // write steps of a run without figures (found by the first test)

/**
 * What must be identical to the uninterrupted run: every file (the figures too), less the
 * wall-clock fields (secondsTotal; a resumed run's `sittings` and summary.md's line about them).
 */
function outcome(dir: string): Record<string, unknown> {
  const files = readdirSync(dir).sort();
  const o: Record<string, unknown> = { files: files.filter((f) => !f.startsWith('state')) };
  for (const f of files) {
    const p = path.join(dir, f);
    if (f === 'summary.json') {
      const { sittings: _sittings, ...summary } = JSON.parse(readFileSync(p, 'utf8'));
      o[f] = { ...summary, secondsTotal: 0 };
    } else if (f === 'summary.md')
      o[f] = readFileSync(p, 'utf8')
        .split('\n')
        .filter((line) => !/^Resumed run \(\d+ sittings\):/.test(line))
        .join('\n')
        .replace(/\n{3,}/g, '\n\n')
        .replace(/\n+$/, '\n');
    else if (f === 'manifest.json') o[f] = 'manifest';
    else if (f === 'figures') o[f] = Object.fromEntries(readdirSync(p).sort().map((g) => [g, readFileSync(path.join(p, g)).toString('base64')]));
    else if (f === 'metrics.arrow') {
      const t = tableFromIPC(readFileSync(p));
      o[f] = t.schema.fields.filter((x) => x.name !== 'seconds').map((x) => [x.name, Array.from(t.getChild(x.name)!.toArray() as ArrayLike<number>)]);
    } else if (!f.startsWith('state')) o[f] = readFileSync(p).toString('base64');
  }
  return o;
}

test('a kill at every write step resumes to the uninterrupted result', { timeout: 600_000 }, () => {
  const ref = path.join(root, 'ref');
  const r = run(ref);
  assert.equal(r.status, 0, r.stderr);
  const want = outcome(ref);
  let n = 1;
  for (; ; n++) {
    const dir = path.join(root, `kill-${n}`);
    const killed = run(dir, { IPCAE_TEST_KILL_AT_WRITE: String(n) });
    if (killed.status === 0) break; // past the last write step: nothing left to interrupt
    assert.equal(killed.signal, 'SIGKILL', `write step ${n}: ${killed.stderr}`);
    const resumed = run(dir);
    assert.equal(resumed.status, 0, `write step ${n}: the resume failed: ${resumed.stderr}`);
    assert.deepEqual(outcome(dir), want, `write step ${n}: the resumed run differs from the uninterrupted one`);
    assert.deepEqual(readdirSync(dir, { recursive: true }).filter((f) => String(f).includes('.tmp-')), [], `write step ${n}: temporary files left`);
    assert.equal(existsSync(`${dir}.lock`), false, `write step ${n}: lock left`);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(n > 30, `only ${n - 1} write steps were interrupted`);
  writeSteps = n - 1;
});

test('a kill while the figures are drawn: the same command draws them again, whole, and leaves no temporary file', { timeout: 300_000 }, () => {
  assert.ok(writeSteps > 0, 'needs the write-step count of the test above');
  const ref = path.join(root, 'ref-figures');
  assert.equal(run(ref, {}, true).status, 0);
  const want = outcome(ref);
  assert.deepEqual(Object.keys(want.figures as object), ['curves.png', 'curves.svg', 'features.png', 'features.svg']);
  for (let n = writeSteps + 1; n <= writeSteps + 4; n++) {
    const dir = path.join(root, `kill-figures-${n}`);
    const killed = run(dir, { IPCAE_TEST_KILL_AT_WRITE: String(n) }, true);
    assert.equal(killed.signal, 'SIGKILL', `write step ${n}: ${killed.stderr}`);
    assert.ok(existsSync(path.join(dir, 'summary.json')), `write step ${n} comes after the commit point`);
    const resumed = run(dir, {}, true);
    assert.equal(resumed.status, 0, `write step ${n}: ${resumed.stderr}`);
    assert.deepEqual(outcome(dir), want, `write step ${n}: the figures differ from the uninterrupted run's`);
    assert.deepEqual(readdirSync(dir, { recursive: true }).filter((f) => String(f).includes('.tmp-')), [], `write step ${n}: temporary files left`);
  }
});

test('every single-bit flip in a checkpoint is detected', () => {
  const dir = path.join(root, 'ref');
  const bytes = readFileSync(path.join(dir, 'state.bin'));
  const c = decodeCheckpoint(bytes);
  assert.notEqual(typeof c, 'string', String(c));
  assert.deepEqual(encodeCheckpoint(c as Exclude<typeof c, string>), bytes, 'decode then encode gives the same bytes');
  let undetected = 0;
  for (let i = 0; i < bytes.length; i++)
    for (let bit = 0; bit < 8; bit++) {
      bytes[i] ^= 1 << bit;
      if (typeof decodeCheckpoint(bytes) !== 'string') undetected++;
      bytes[i] ^= 1 << bit;
    }
  assert.equal(undetected, 0, `${undetected} of ${bytes.length * 8} flips went undetected`);
  for (const n of [0, 10, bytes.length - 1]) assert.equal(typeof decodeCheckpoint(bytes.subarray(0, n)), 'string', `truncated to ${n} bytes`);
});

test('a damaged checkpoint falls back to the previous one, saying so, and ends the same', () => {
  const ref = path.join(root, 'ref');
  const want = outcome(ref);
  const dir = path.join(root, 'damaged');
  // interrupt after the second checkpoint (state.bin at epoch 2, state.prev.bin at epoch 1), before the results
  let step = 1;
  for (; ; step++) {
    rmSync(dir, { recursive: true, force: true });
    const k = run(dir, { IPCAE_TEST_KILL_AT_WRITE: String(step) });
    assert.equal(k.signal, 'SIGKILL', `no write step left the second checkpoint without results (step ${step})`);
    // both checkpoints written (2 epochs × 1 seed of metrics beside them), no result yet
    if (existsSync(path.join(dir, 'state.prev.bin')) && existsSync(path.join(dir, 'metrics.arrow')) && tableFromIPC(readFileSync(path.join(dir, 'metrics.arrow'))).numRows === 2) break;
  }
  truncateSync(path.join(dir, 'state.bin'), 0);
  const r = run(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: state\.bin cannot be used \(the file is empty\)[^\n]*resumed from state\.prev\.bin \(epoch 1\)/);
  assert.deepEqual(outcome(dir), want);
  // both damaged: refused with what to do, then --restart trains again from epoch 0
  rmSync(path.join(dir, 'summary.json'));
  writeFileSync(path.join(dir, 'state.bin'), 'x');
  writeFileSync(path.join(dir, 'state.prev.bin'), '');
  const refused = run(dir);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /no usable checkpoint: state\.bin cannot be used .*state\.prev\.bin cannot be used \(the file is empty\)\. Start the run over with --restart/);
  const again = spawnSync(process.execPath, [...args(dir), '--restart'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(outcome(dir), want);
});

test('parameter files carry a checksum that is verified on load', () => {
  const dir = path.join(root, 'ref');
  const p = readParameters(dir, 1);
  assert.ok(p.length > 0 && p.every((t) => t.values.length === t.shape.reduce((a, b) => a * b, 1)));
  const bin = path.join(dir, 'parameters-1.bin');
  const bytes = readFileSync(bin);
  bytes[bytes.length >> 1] ^= 4;
  writeFileSync(bin, bytes);
  assert.throws(() => readParameters(dir, 1), (e: Error & { code?: string }) => e.code === 'ERR_DATA' && /parameters-1\.bin is damaged/.test(e.message));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
