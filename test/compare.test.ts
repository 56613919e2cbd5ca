// compare keeps every run: runs that differ in configuration are separate rows named by the keys
// that differ, and a parent directory is searched for the runs inside.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { pipelineTable } from './helpers.js';

test('runs that differ only in K are two rows; a parent directory finds its runs', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-compare-'));
  try {
    const table = path.join(root, 't.arrow');
    writeFileSync(table, tableToIPC(pipelineTable(80, 7), 'file'));
    const run = (out: string, ...extra: string[]) => {
      const r = spawnSync(process.execPath, [path.resolve('dist/lib/cli/run.js'), '--dataset', table, '--target', 'label', '--exclude', 'id', '--epochs', '2', '--seeds', '1', '--batch-size', '16', '--out', out, '--quiet', ...extra], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    const runs = path.join(root, 'runs');
    run(path.join(runs, 'k2'), '--k', '2');
    run(path.join(runs, 'k3'), '--k', '3');
    const ipcae = path.resolve('dist/lib/cli/ipcae.js');
    const c = spawnSync(process.execPath, [ipcae, 'compare', runs], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    const rows = c.stdout.split('\n').filter((l) => l.startsWith('| ip-cae'));
    assert.deepEqual(rows.map((l) => l.split('|')[1].trim()), ['ip-cae (k=2)', 'ip-cae (k=3)']);
    const json = spawnSync(process.execPath, [ipcae, 'compare', '--json', runs], { encoding: 'utf8' });
    assert.equal(JSON.parse(json.stdout).length, 2);
    // the same configuration twice: told apart by directory
    run(path.join(root, 'again'), '--k', '2');
    const same = spawnSync(process.execPath, [ipcae, 'compare', path.join(runs, 'k2'), path.join(root, 'again')], { encoding: 'utf8' });
    assert.deepEqual(
      same.stdout.split('\n').filter((l) => l.startsWith('| ip-cae')).map((l) => l.split('|')[1].trim()),
      ['ip-cae (k2)', 'ip-cae (again)'],
    );
    const none = spawnSync(process.execPath, [ipcae, 'compare', path.join(root, 'nothing')], { encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /nothing does not exist/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
