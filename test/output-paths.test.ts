// Output paths: one writer per run directory; nothing written before validation passes; paths
// that cannot be written fail at once with ERR_OUTPUT naming the path.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { FeatureSelection, IpcaeError } from '../lib/index.js';
import { lockDirectory } from '../lib/files/lock.js';
import { pipelineTable } from './helpers.js';

const cli = path.resolve('dist/lib/cli/run.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-out-'));
const table = path.join(root, 't.arrow');
writeFileSync(table, tableToIPC(pipelineTable(80, 7), 'file'));
const args = (out: string, ...extra: string[]) => [cli, '--dataset', table, '--target', 'label', '--exclude', 'id', '--k', '2', '--epochs', '2', '--seeds', '1', '--batch-size', '16', '--out', out, '--quiet', ...extra];

test('paths that cannot be written fail within seconds with ERR_OUTPUT naming the path', () => {
  const cases: [string, RegExp][] = [
    ['/proc/ipcae-x/run', /Cannot write \/proc\/ipcae-x\/run/],
    ['/dev/null/run', /Cannot write \/dev\/null\/run: \/dev\/null is not a directory/],
    [path.join(table, 'run'), /is not a directory/],
  ];
  const ro = path.join(root, 'ro');
  mkdirSync(ro);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', ro]).status === 0;
  if (mounted) cases.push([path.join(ro, 'run'), /Cannot write .*ro\/run: the file system is read-only/]);
  try {
    for (const [out, pattern] of cases) {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, args(out), { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 1, `${out}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.ok(Date.now() - t0 < 15_000, `${out} took ${Date.now() - t0} ms`);
    }
  } finally {
    if (mounted) spawnSync('umount', [ro]);
  }
  assert.throws(
    () => new FeatureSelection({} as never).save('/proc/ipcae-x/sel.json'),
    (e: unknown) => e instanceof IpcaeError && e.code === 'ERR_OUTPUT' && /Cannot write \/proc\/ipcae-x/.test(e.message),
  );
});

test('a run that fails validation writes nothing; the corrected command then runs', () => {
  const out = path.join(root, 'invalid');
  const bad = spawnSync(process.execPath, args(out, '--k', '99'), { encoding: 'utf8' });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /Expected --k at most 6 \(the 6 features of .*t\.arrow\) but received 99/);
  assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'no config.json stub');
  const good = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
});

test('two processes never write one run directory', async () => {
  const out = path.join(root, 'shared');
  mkdirSync(out);
  const release = await lockDirectory(out); // this process is "the first run"
  try {
    const second = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
    assert.equal(second.status, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`${out} is being written by another ipcae process \\(pid ${process.pid} on `));
    assert.deepEqual(readdirSync(out), [], 'the second wrote nothing');
  } finally {
    await release();
  }
  assert.equal(existsSync(`${out}.lock`), false, 'released');
  const later = spawnSync(process.execPath, args(out), { encoding: 'utf8' });
  assert.equal(later.status, 0, later.stderr);
});

test("a lock left on another host is refused at once, or waited for until it goes stale (Slurm tasks wait)", async () => {
  const out = path.join(root, 'foreign');
  mkdirSync(out);
  mkdirSync(`${out}.lock`);
  writeFileSync(`${out}.lock-holder.json`, JSON.stringify({ pid: 1, host: 'another-node' }));
  await assert.rejects(lockDirectory(out), (e: unknown) => e instanceof IpcaeError && e.code === 'ERR_OUTPUT' && /pid 1 on another-node/.test(e.message));
  // 16 s old: stale 4 s from now (locks go stale after 20 s without a refresh)
  const old = new Date(Date.now() - 16_000);
  utimesSync(`${out}.lock`, old, old);
  const t0 = Date.now();
  const release = await lockDirectory(out, 30_000);
  const waited = Date.now() - t0;
  await release();
  assert.ok(waited >= 2_000 && waited < 15_000, `waited ${waited} ms`);
  assert.equal(existsSync(`${out}.lock`), false);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
