// One array task inside a Slurm job: trains plan task i into <dir>/tasks/<id>/ (resuming from its
// checkpoint when it has one) and writes only files of its own. USR1 (time limit near) and SIGTERM
// (preemption, scancel, scontrol requeue) stop training at a step boundary and save the last
// finished epoch; after USR1 the task requeues itself so a later attempt continues.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExperiment } from '../experiment/run.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { loadDataset } from '../datasets/load.js';
import { IpcaeError } from '../errors.js';
import { readPlan, taskDir, type SlurmPlan, type SlurmTask } from './plan.js';
import { requeueSelf } from './commands.js';

/** Exit status of a task that saved a checkpoint after a signal and has not finished (EX_TEMPFAIL). */
export const EXIT_CHECKPOINTED = 75;

export interface Attempt {
  attempt: number;
  jobId?: string;
  arrayJobId?: string;
  arrayTaskId?: string;
  restartCount: number;
  host: string;
  pid: number;
  started: string;
  resumedFromEpoch?: number;
  ended?: string;
  outcome?: 'finished' | 'checkpointed' | 'failed';
  signal?: string;
  requeue?: string;
  error?: string;
}

export const attemptsFile = (dir: string) => path.join(dir, 'attempts.json');
export const errorFile = (dir: string) => path.join(dir, 'error.json');

export function readAttempts(dir: string): Attempt[] {
  const f = attemptsFile(dir);
  if (!existsSync(f)) return [];
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Attempt[];
  } catch {
    return [];
  }
}

export function findTask(plan: SlurmPlan, index: number): SlurmTask {
  const t = plan.tasks.find((x) => x.index === index);
  if (!t) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected a task index 0…${plan.tasks.length - 1} of ${plan.dir} but received ${index}`);
  return t;
}

export async function runSlurmTask(dir: string, index: number, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const plan = readPlan(dir);
  const task = findTask(plan, index);
  const out = taskDir(plan.dir, task);
  const cfg = { ...task.cfg };
  // "All cores" inside an allocation means the cores Slurm gave the task, not the node's.
  if (cfg.threads === 0 && Number(env.SLURM_CPUS_PER_TASK) > 0) cfg.threads = Number(env.SLURM_CPUS_PER_TASK);

  const attempts = readAttempts(out);
  const me: Attempt = {
    attempt: attempts.length + 1,
    jobId: env.SLURM_JOB_ID,
    arrayJobId: env.SLURM_ARRAY_JOB_ID,
    arrayTaskId: env.SLURM_ARRAY_TASK_ID,
    restartCount: Number(env.SLURM_RESTART_COUNT ?? 0),
    host: os.hostname(),
    pid: process.pid,
    started: new Date().toISOString(),
  };
  const record = () => writeJsonAtomic(attemptsFile(out), [...attempts, me]);
  const log = (msg: string) => console.log(`[${new Date().toISOString()}] ipcae task ${index} (${task.id}): ${msg}`);

  const ac = new AbortController();
  let signal: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) return;
    signal = s;
    log(`received ${s}: saving a checkpoint at the last finished epoch`);
    ac.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGUSR1', 'SIGTERM', 'SIGINT'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const data = await loadDataset(cfg.dataset, plan.dataDir, task.table ? { ...task.table, signal: ac.signal } : undefined);
    let lastPrinted = Date.now();
    const summary = await runExperiment(cfg, data, out, {
      signal: ac.signal,
      onWarning: (m) => log(`warning: ${m}`),
      onStage: (m) => log(m),
      // a previous attempt killed on another node leaves a lock that goes stale after 20 s
      lockWaitMs: 30_000,
      onStart: (i) => {
        me.resumedFromEpoch = i.resumedFromEpoch;
        record();
        log(`${i.resumedFromEpoch > 0 ? `resuming from epoch ${i.resumedFromEpoch}` : 'starting'} of ${i.epochs} on ${i.device} (attempt ${me.attempt}, seeds ${cfg.seeds.join(',')})`);
      },
      onEpoch: (m) => {
        if (Date.now() - lastPrinted < 30_000 && m.epoch + 1 !== cfg.epochs) return;
        lastPrinted = Date.now();
        log(`epoch ${m.epoch + 1}/${cfg.epochs} val ${m.replicas.map((r) => r.valMetric.toPrecision(4)).join(' ')} (${m.seconds.toFixed(2)} s/epoch)`);
      },
    });
    Object.assign(me, { ended: new Date().toISOString(), outcome: 'finished' });
    if (me.resumedFromEpoch === undefined) me.resumedFromEpoch = cfg.epochs; // finished before: nothing trained
    record();
    rmSync(errorFile(out), { force: true });
    log(`finished: test ${summary.metric} ${summary.seeds.map((s) => s.testMetric.toPrecision(5)).join(' ')}`);
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (signal && err.code === 'ERR_CANCELLED') {
      Object.assign(me, { ended: new Date().toISOString(), outcome: 'checkpointed', signal });
      if (signal === 'SIGUSR1') {
        const r = requeueSelf(env);
        me.requeue = r.message;
        log(r.ok ? `checkpoint saved; ${r.message}` : `checkpoint saved; could not requeue: ${r.message}`);
      } else log('checkpoint saved; a requeued attempt resumes from it');
      record();
      return EXIT_CHECKPOINTED;
    }
    Object.assign(me, { ended: new Date().toISOString(), outcome: 'failed', error: err.message ?? String(e) });
    try {
      record();
      writeJsonAtomic(errorFile(out), { task: task.id, index, message: err.message ?? String(e), code: err.code, time: me.ended, jobId: me.jobId });
    } catch {
      /* the error itself is printed below */
    }
    log(`failed: ${err.message ?? String(e)}`);
    return err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
