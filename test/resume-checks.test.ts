// Resume checks its inputs: a run directory resumes only with the same configuration and the same
// data (by SHA-256); a change is refused with both values, and --restart starts over.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { pipelineTable } from './helpers.js';

const cli = path.resolve('dist/lib/cli/run.js');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test('a data file changed between an interrupted run and its resume is refused with both hashes', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-resume-'));
  try {
    const table = path.join(root, 't.arrow');
    writeFileSync(table, tableToIPC(pipelineTable(80, 7), 'file'));
    const out = path.join(root, 'run');
    const args = (...extra: string[]) => [cli, '--dataset', table, '--target', 'label', '--exclude', 'id', '--k', '2', '--epochs', '3', '--checkpoint-every', '1', '--seeds', '1', '--batch-size', '16', '--out', out, '--quiet', ...extra];
    // interrupt once a checkpoint exists
    for (let step = 1; !existsSync(path.join(out, 'state.bin')); step++) {
      rmSync(out, { recursive: true, force: true });
      spawnSync(process.execPath, args(), { env: { ...process.env, IPCAE_TEST_KILL_AT_WRITE: String(step) } });
    }
    const before = sha(table);
    writeFileSync(table, tableToIPC(pipelineTable(80, 8), 'file'));
    const after = sha(table);
    const r = spawnSync(process.execPath, args(), { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`trained on other data \\(.*t\\.arrow: sha256 ${before} then, ${after} now\\).*--restart`));
    assert.equal(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).data.sources[0].sha256, before, 'the manifest keeps the hash of the data the run was trained on');
    const again = spawnSync(process.execPath, args('--restart'), { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(m.data.sources[0].sha256, after);
    assert.equal(m.resumedFromEpoch, 0);
    // a finished run is not handed back for other data either
    writeFileSync(table, tableToIPC(pipelineTable(80, 9), 'file'));
    const finished = spawnSync(process.execPath, args(), { encoding: 'utf8' });
    assert.equal(finished.status, 1);
    assert.match(finished.stderr, /trained on other data/);
    // nor is a run with another configuration; the message names what differs
    writeFileSync(table, tableToIPC(pipelineTable(80, 8), 'file'));
    const other = spawnSync(process.execPath, [...args(), '--k', '3'], { encoding: 'utf8' });
    assert.equal(other.status, 2, other.stderr);
    assert.match(other.stderr, /different configuration \(experiment\.k: 2 then, 3 now; trainer\.k: 2 then, 3 now\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
