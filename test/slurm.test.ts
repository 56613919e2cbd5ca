// ipcae slurm against a real single-node Slurm cluster on loopback, started and stopped by this file.
// Without root and apt (so no Slurm) the tests skip with the reason; IPCAE_REQUIRE_SLURM=1 (CI) makes
// that a failure instead.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { pipelineTable } from './helpers.js';
import { slurmUnavailable, startCluster, type Cluster } from './slurm-cluster.js';
import { comparisonTable } from '../lib/report/compare.js';
import { capabilities } from '../lib/index.js';
import { readPlan, taskDir, arraySpec, sbatchScript, planTasks } from '../lib/slurm/plan.js';
import { taskProgress, mergeSummaries } from '../lib/slurm/collect.js';
import { summarize } from '../lib/experiment/summary.js';
import { readAttempts } from '../lib/slurm/task.js';
import { expandArrayIds } from '../lib/slurm/commands.js';
import type { Summary } from '../lib/experiment/summary.js';

const ipcae = path.resolve('dist/lib/cli/ipcae.js');
const ipcaeRun = path.resolve('dist/lib/cli/run.js');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ipcae-slurm-test-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const unavailable = slurmUnavailable();
if (unavailable && process.env.IPCAE_REQUIRE_SLURM === '1') throw new Error(`IPCAE_REQUIRE_SLURM=1 but Slurm cannot be used here: ${unavailable}`);
const skip = unavailable ? `no Slurm: ${unavailable}` : false;

let cluster: Cluster | undefined;
before(async () => {
  if (!unavailable) cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

function cli(args: string[], file = ipcae) {
  return spawnSync(process.execPath, [file, ...args], { env: cluster!.env, encoding: 'utf8', timeout: 120_000 });
}
function slurm(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { env: cluster!.env, encoding: 'utf8' });
}
const jobIds = (dir: string) => (JSON.parse(readFileSync(path.join(dir, 'slurm', 'jobs.json'), 'utf8')) as { jobId: string }[]).map((j) => j.jobId);

/**
 * Slurm holds a requeued job for about two minutes (its begin time). The tests release it sooner,
 * but not at once: a launch within the same second as the requeue is refused by slurmd ("Job
 * credential revoked") and the job fails, so a hold is released only after 3 s.
 */
const heldSince = new Map<string, number>();
function releaseRequeued(id: string, state: string | undefined, reason: string | undefined) {
  if (state !== 'PENDING' || reason !== 'BeginTime') {
    heldSince.delete(id);
    return;
  }
  const since = heldSince.get(id) ?? Date.now();
  heldSince.set(id, since);
  if (Date.now() - since >= 3000) {
    slurm('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
    heldSince.delete(id);
  }
}

/** Waits until none of the jobs is queued or running; a requeued task waiting on its begin time is released. */
async function waitJobs(ids: string[], timeoutMs = 240_000) {
  const t0 = Date.now();
  for (;;) {
    const q = slurm('squeue', ['-h', '-r', '-j', ids.join(','), '-o', '%i|%T|%r']);
    const rows = q.stdout.trim() ? q.stdout.trim().split('\n') : [];
    if (q.status === 0 && rows.length === 0) return;
    for (const r of rows) {
      const [id, state, reason] = r.split('|');
      releaseRequeued(id, state, reason);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`jobs ${ids.join(',')} still queued after ${timeoutMs / 1000} s:\n${rows.join('\n')}\n${cluster!.log()}`);
    await sleep(300);
  }
}

const arrowFile = (rows: number) => {
  const f = path.join(tmp(), `data-${rows}.arrow`);
  writeFileSync(f, tableToIPC(pipelineTable(rows, 4), 'file'));
  return f;
};
const experimentFlags = (file: string, extra: string[]) => ['--dataset', file, '--target', 'label', '--exclude', 'id', '--k', '2', '--batch-size', '32', ...extra];
const logs = (dir: string) => spawnSync('sh', ['-c', `cat ${path.join(dir, 'slurm', 'logs')}/* 2>/dev/null`], { encoding: 'utf8' }).stdout;

test('plan and script: array syntax, exec, USR1 grace, requeue (no cluster needed)', () => {
  assert.equal(arraySpec([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.equal(arraySpec([3, 1], 2), '1,3%2');
  assert.deepEqual(expandArrayIds('1,4-6%2'), [1, 4, 5, 6]);
  const cfg = { dataset: 'mice', task: 'classification', method: 'ip-cae', seeds: [1, 2] } as never;
  const tasks = planTasks([{ cfg, table: { task: 'classification' } }], true);
  assert.deepEqual(tasks.map((t) => [t.id, t.cfg.seeds]), [['mice-classification-ip-cae-s1', [1]], ['mice-classification-ip-cae-s2', [2]]]);
  assert.throws(() => planTasks([{ cfg, table: { task: 'classification' } }, { cfg, table: { task: 'classification' } }], false), /lists mice-classification-ip-cae twice/);
  const script = sbatchScript({
    version: 1, created: 'now', dir: "/scratch/it's here", dataDir: '/d', node: '/usr/bin/node', cli: '/x/ipcae.js', perSeed: true, tasks,
    resources: { time: '1:00:00', gpusPerTask: 1, cpusPerTask: 4, signalGrace: 90, jobName: 'ipcae', extra: ['--constraint=a100'], prelude: ['module load cuda'], partition: 'gpu', arrayParallelism: 1 },
  });
  for (const line of ['#SBATCH --array=0-1%1', '#SBATCH --partition=gpu', '#SBATCH --gpus-per-task=1', '#SBATCH --cpus-per-task=4', '#SBATCH --signal=B:USR1@90', '#SBATCH --requeue', '#SBATCH --constraint=a100', 'module load cuda'])
    assert.ok(script.includes(line), `script lacks ${line}`);
  assert.match(script, /^exec '\/usr\/bin\/node' '\/x\/ipcae.js' slurm task '\/scratch\/it'\\''s here' "\$SLURM_ARRAY_TASK_ID"$/m);
});

test('merging the array parts of a baseline keeps how its metric was obtained and its warnings (no cluster needed)', () => {
  const seed = (s: number, f: number[]) => ({ seed: s, bestEpoch: 9, testLoss: 0.5, testMetric: 0.8, uniquePct: 100, selected: f, selectedNames: f.map((x) => `f${x}`), duplicates: 0 });
  const part = (s: number, warnings?: string[]) => ({
    ...summarize({ dataset: 'mice', task: 'classification', method: 'lassonet', k: 2, secondsTotal: 10 }, [seed(s, [1, 2])], ['f0', 'f1', 'f2']),
    evaluation: { retrained: true as const, epochs: 100, hidden: 200 },
    baselineSettings: { K: 2, hidden: 200 },
    ...(warnings ? { warnings } : {}),
  });
  const merged = mergeSummaries([part(11, ['w1']), part(22), part(33, ['w1', 'w2'])], [11, 22, 33], 2);
  assert.deepEqual(merged.seeds.map((s) => s.seed), [11, 22, 33]);
  assert.equal(merged.secondsTotal, 30);
  assert.deepEqual(merged.evaluation, { retrained: true, epochs: 100, hidden: 200 });
  assert.deepEqual(merged.baselineSettings, { K: 2, hidden: 200 });
  assert.deepEqual(merged.warnings, ['w1', 'w2']);
});

test('submit warns when GPUs are asked for but this build has no CUDA, unless told not to (no cluster needed)', () => {
  const submit = (...extra: string[]) =>
    spawnSync(process.execPath, [ipcae, 'slurm', 'submit', '--dataset', 'mice', '--time', '1:00:00', '--gpus-per-task', '1', '--dry-run', ...extra], { encoding: 'utf8' });
  const cuda = capabilities().cudaAvailable;
  const r = submit();
  assert.equal(r.status, 0, r.stderr);
  if (cuda) assert.doesNotMatch(r.stderr, /warning/);
  else assert.match(r.stderr, /warning: --gpus-per-task 1, but the LibTorch .* has no CUDA device here.*--no-cuda-check/);
  assert.doesNotMatch(submit('--no-cuda-check').stderr, /warning/);
});

test('submit usage errors name the flag', { skip }, () => {
  const r = cli(['slurm', 'submit', '--dataset', 'mice']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--time/);
  const t = cli(['slurm', 'submit', '--dataset', 'mice', '--time', 'soon', '--dry-run']);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /Slurm time .* for --time but received 'soon'/);
  const g = cli(['slurm', 'submit', '--dataset', 'mice', '--time', '10', '--device', 'cuda', '--dry-run']);
  assert.match(g.stderr, /--gpus-per-task >= 1 for --device cuda/);
  const s = cli(['slurm', 'status', tmp()]);
  assert.equal(s.status, 2);
  assert.match(s.stderr, /not a Slurm experiment directory/);
});

test('an array run on the cluster merges into the table of the same local run; failures are named; nothing counts twice', { skip, timeout: 600_000 }, async () => {
  const data = arrowFile(300);
  const flags = experimentFlags(data, ['--epochs', '30', '--seeds', '5,6']);
  const work = tmp();
  const local = path.join(work, 'local');
  const lr = cli([...flags, '--methods', 'cae,ip-cae', '--out', local, '--quiet'], ipcaeRun);
  assert.equal(lr.status, 0, lr.stderr);
  const localSummaries = ['cae', 'ip-cae'].map((m) => JSON.parse(readFileSync(path.join(local, m, 'summary.json'), 'utf8')) as Summary);

  // A: one replica group per method. B: one task per seed. C: a task whose data vanished before it ran.
  const A = path.join(work, 'A'),
    B = path.join(work, 'B'),
    C = path.join(work, 'C');
  const dry = cli(['slurm', 'submit', ...flags, '--methods', 'cae,ip-cae', '--time', '5:00', '--out', A, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /#SBATCH --array=0-1\n/);
  assert.ok(!existsSync(A), '--dry-run writes nothing');
  const sa = cli(['slurm', 'submit', ...flags, '--methods', 'cae,ip-cae', '--time', '5:00', '--out', A, '--cpus-per-task', '1']);
  assert.equal(sa.status, 0, sa.stderr);
  assert.match(sa.stdout, /Submitted job \d+: 2 task\(s\)/);
  const sb = cli(['slurm', 'submit', ...flags, '--method', 'ip-cae', '--per-seed', '--time', '5:00', '--out', B]);
  assert.equal(sb.status, 0, sb.stderr);
  const doomed = path.join(work, 'doomed.arrow');
  copyFileSync(data, doomed);
  const sc = cli(['slurm', 'submit', ...experimentFlags(doomed, ['--epochs', '30', '--seeds', '5']), '--time', '5:00', '--out', C, '--sbatch-arg=--hold']);
  assert.equal(sc.status, 0, sc.stderr);
  rmSync(doomed);
  slurm('scontrol', ['release', jobIds(C)[0]]);
  await waitJobs([...jobIds(A), ...jobIds(B), ...jobIds(C)]);

  const ca = cli(['slurm', 'collect', A, '--json']);
  assert.equal(ca.status, 0, `${ca.stderr}\n${logs(A)}`);
  const merged = JSON.parse(ca.stdout) as { complete: boolean; summaries: Summary[] };
  assert.ok(merged.complete);
  assert.equal(comparisonTable(merged.summaries), comparisonTable(localSummaries));
  for (const [i, s] of merged.summaries.entries()) {
    assert.deepEqual(s.seeds.map((x) => [x.seed, x.selected, x.testMetric, x.bestEpoch]), localSummaries[i].seeds.map((x) => [x.seed, x.selected, x.testMetric, x.bestEpoch]));
    assert.deepEqual(s.stability, localSummaries[i].stability);
  }
  assert.ok(existsSync(path.join(A, 'summary.md')) && existsSync(path.join(A, 'summary.json')));
  const status = cli(['slurm', 'status', A]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /2 of 2 task\(s\) finished/);
  assert.match(status.stdout, /COMPLETED \| finished \| 1 \|/);

  // A task that runs again (a duplicate submission) finds its result and trains nothing; the merge is unchanged.
  assert.match(cli(['slurm', 'resubmit', A]).stdout, /Nothing to resubmit/);
  const dup = slurm('sbatch', ['--parsable', '--array=1', path.join(A, 'slurm', 'job.sbatch')]);
  assert.equal(dup.status, 0, dup.stderr);
  await waitJobs([dup.stdout.trim()]);
  const again = JSON.parse(cli(['slurm', 'collect', A, '--json']).stdout) as { summaries: Summary[] };
  assert.deepEqual(again.summaries.map((s) => s.seeds), merged.summaries.map((s) => s.seeds));
  const ipTask = readPlan(A).tasks[1];
  assert.deepEqual(readAttempts(taskDir(A, ipTask)).map((a) => a.outcome), ['finished', 'finished']);

  // One seed per task, merged: the same seeds, selections and metrics as the replica group.
  const cb = cli(['slurm', 'collect', B, '--json']);
  assert.equal(cb.status, 0, `${cb.stderr}\n${logs(B)}`);
  const perSeed = (JSON.parse(cb.stdout) as { summaries: Summary[] }).summaries;
  assert.equal(perSeed.length, 1);
  const ipLocal = localSummaries[1];
  assert.deepEqual(perSeed[0].seeds.map((s) => [s.seed, s.selected]), ipLocal.seeds.map((s) => [s.seed, s.selected]));
  for (const [i, s] of perSeed[0].seeds.entries()) assert.ok(Math.abs(s.testMetric - ipLocal.seeds[i].testMetric) < 1e-4);
  assert.ok(Math.abs(perSeed[0].mean - ipLocal.mean) < 1e-2);

  // The failed task is named with its error; collect exits 3 and says how to rerun.
  const cc = cli(['slurm', 'collect', C]);
  assert.equal(cc.status, 3, cc.stderr);
  assert.match(cc.stdout, /1 of 1 task\(s\) missing or failed/);
  assert.match(cc.stdout, /task 0 doomed-classification-ip-cae: failed \(.*doomed\.arrow.*no such file/);
  assert.match(cc.stdout, /ipcae slurm resubmit/);
  assert.match(cli(['slurm', 'status', C]).stdout, /failed: /);
});

test('a task stopped by USR1 (time limit) and by SIGTERM (requeue) resumes from its checkpoint and ends as if uninterrupted', { skip, timeout: 600_000 }, async () => {
  const data = arrowFile(3000);
  const epochs = 1500;
  const flags = experimentFlags(data, ['--epochs', String(epochs), '--seeds', '5,6', '--method', 'ip-cae', '--checkpoint-every', '10']);
  const work = tmp();
  const dir = path.join(work, 'exp');
  const s = cli(['slurm', 'submit', ...flags, '--time', '10:00', '--out', dir]);
  assert.equal(s.status, 0, s.stderr);
  const job = `${jobIds(dir)[0]}_0`;
  const task = readPlan(dir).tasks[0];
  const progress = () => taskProgress(dir, task);
  const waitFor = async (what: string, ok: () => boolean) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > 120_000) {
        const jobs = slurm('scontrol', ['-o', 'show', 'job']).stdout;
        throw new Error(`timed out waiting for ${what}\nattempts: ${JSON.stringify(readAttempts(taskDir(dir, task)))}\njobs:\n${jobs}\n${logs(dir)}\n${cluster!.log()}`);
      }
      await sleep(100);
    }
  };
  const released = () => {
    const q = slurm('squeue', ['-h', '-j', job, '-o', '%T|%r']).stdout.trim();
    const [state, reason] = q.split('|');
    releaseRequeued(job, state, reason);
    return q;
  };
  // 1. The time limit draws near: Slurm sends USR1 to the batch shell, which is the trainer (exec).
  await waitFor('a first checkpoint', () => (progress().epoch ?? 0) >= 20);
  const usr1 = slurm('scancel', ['--signal=USR1', '--batch', job]);
  assert.equal(usr1.status, 0, usr1.stderr);
  await waitFor('the requeued second attempt', () => (released(), readAttempts(taskDir(dir, task)).length >= 2));
  // 2. Preemption: scontrol requeue sends SIGTERM.
  await waitFor('progress in the second attempt', () => {
    const a = readAttempts(taskDir(dir, task));
    return a.length >= 2 && a[1].resumedFromEpoch !== undefined && (progress().epoch ?? 0) >= a[1].resumedFromEpoch + 20;
  });
  const rq = slurm('scontrol', ['requeue', job]);
  assert.equal(rq.status, 0, rq.stderr);
  await waitFor('the third attempt', () => (released(), readAttempts(taskDir(dir, task)).length >= 3));
  await waitJobs([jobIds(dir)[0]]);

  const attempts = readAttempts(taskDir(dir, task));
  assert.deepEqual(attempts.map((a) => [a.outcome, a.signal]), [['checkpointed', 'SIGUSR1'], ['checkpointed', 'SIGTERM'], ['finished', undefined]], logs(dir));
  assert.match(attempts[0].requeue ?? '', /^requeued /);
  assert.equal(attempts[0].resumedFromEpoch, 0);
  assert.ok(attempts[1].resumedFromEpoch! >= 20 && attempts[2].resumedFromEpoch! > attempts[1].resumedFromEpoch!, JSON.stringify(attempts));
  assert.ok(attempts[2].resumedFromEpoch! < epochs, 'the last attempt still had epochs to train');
  assert.match(logs(dir), /resuming from epoch \d+ of 1500/);

  const local = path.join(work, 'local');
  const lr = cli([...flags, '--out', local, '--quiet'], ipcaeRun);
  assert.equal(lr.status, 0, lr.stderr);
  const want = JSON.parse(readFileSync(path.join(local, 'summary.json'), 'utf8')) as Summary;
  const got = JSON.parse(readFileSync(path.join(taskDir(dir, task), 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(got.seeds, want.seeds);
  const c = cli(['slurm', 'collect', dir]);
  assert.equal(c.status, 0, c.stderr);
});
