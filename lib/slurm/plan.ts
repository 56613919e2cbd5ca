// A Slurm plan: an experiment expanded into array tasks (dataset × task × method, each a replica
// group of seeds, or one seed per task), and the sbatch script that runs them. The plan lives in
// <dir>/slurm/plan.json; task i trains into <dir>/tasks/<id>/ and writes nothing else.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../config/experiment.js';
import { IpcaeError } from '../errors.js';
import { isTableFile, type TableOptions } from '../datasets/load.js';

/** How a user's table file is read (the same options as a run's). */
export type TableSpec = TableOptions;

export interface SlurmTask {
  index: number;
  /** Names the task's directory: <dir>/tasks/<id>. */
  id: string;
  cfg: ExperimentConfig;
  table: TableSpec;
}

export interface SlurmResources {
  partition?: string;
  time: string;
  gpusPerTask: number;
  cpusPerTask: number;
  mem?: string;
  account?: string;
  qos?: string;
  arrayParallelism?: number;
  /** Seconds before the time limit at which Slurm sends USR1 to the batch shell (the trainer). */
  signalGrace: number;
  jobName: string;
  /** Extra #SBATCH arguments, verbatim. */
  extra: string[];
  /** Shell lines run before the trainer (module load …). */
  prelude: string[];
}

export interface SlurmPlan {
  version: 1;
  created: string;
  dir: string;
  dataDir: string;
  node: string;
  cli: string;
  perSeed: boolean;
  resources: SlurmResources;
  tasks: SlurmTask[];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

export function datasetLabel(dataset: string): string {
  return isTableFile(dataset) ? path.basename(dataset).replace(/\.[^.]+$/, '') : dataset;
}

/** Expands resolved runs into array tasks; with perSeed each seed of a run is a task of its own. */
export function planTasks(runs: { cfg: ExperimentConfig; table: TableSpec }[], perSeed: boolean): SlurmTask[] {
  const tasks: SlurmTask[] = [];
  const ids = new Set<string>();
  for (const { cfg, table } of runs) {
    const base = safe(`${datasetLabel(cfg.dataset)}-${cfg.task}-${cfg.method}`);
    const groups = perSeed ? cfg.seeds.map((s) => [s]) : [cfg.seeds];
    for (const seeds of groups) {
      const id = perSeed ? `${base}-s${seeds[0]}` : base;
      if (ids.has(id)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `The experiment lists ${id} twice; give each dataset, task and method once`);
      ids.add(id);
      tasks.push({ index: tasks.length, id, cfg: { ...cfg, seeds }, table });
    }
  }
  return tasks;
}

export const planFile = (dir: string) => path.join(dir, 'slurm', 'plan.json');
export const jobsFile = (dir: string) => path.join(dir, 'slurm', 'jobs.json');
export const scriptFile = (dir: string) => path.join(dir, 'slurm', 'job.sbatch');
export const taskDir = (dir: string, t: SlurmTask) => path.join(dir, 'tasks', t.id);

export function readPlan(dir: string): SlurmPlan {
  const f = planFile(dir);
  if (!existsSync(f)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `${dir} is not a Slurm experiment directory: ${f} does not exist (create one with ipcae slurm submit --out ${dir})`);
  let plan: SlurmPlan;
  try {
    plan = JSON.parse(readFileSync(f, 'utf8')) as SlurmPlan;
  } catch (e) {
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${f}: not valid JSON (${(e as Error).message})`);
  }
  if (plan.version !== 1 || !Array.isArray(plan.tasks)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `${f}: expected a version-1 plan with a tasks array`);
  return plan;
}

export interface JobRecord {
  jobId: string;
  submitted: string;
  /** The --array specification this submission covered. */
  array: string;
}

export function readJobs(dir: string): JobRecord[] {
  const f = jobsFile(dir);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as JobRecord[]) : [];
}

/** Slurm --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED. */
export function checkTime(t: string): string {
  if (/^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/i.test(t)) return t;
  throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected a Slurm time (minutes, MM:SS, HH:MM:SS, D-HH:MM:SS) for --time but received '${t}'`);
}

/** Compresses task indices into Slurm's array syntax: [0,1,2,5] → "0-2,5". */
export function arraySpec(indices: number[], parallelism?: number): string {
  const s = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(',') + (parallelism ? `%${parallelism}` : '');
}

/** Quotes for bash: one single-quoted word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sbatchScript(plan: SlurmPlan): string {
  const r = plan.resources;
  const sb = (v: string) => `#SBATCH ${v}`;
  const lines = [
    '#!/bin/bash',
    `# ipcae: ${plan.tasks.length} task(s) of ${plan.dir}; written by ipcae slurm submit on ${plan.created}.`,
    '# Task i trains plan.json task i into tasks/<id>/. On USR1 (time limit near) or SIGTERM (preemption)',
    '# the trainer saves a checkpoint; on USR1 it also requeues its task, which resumes from the checkpoint.',
    sb(`--job-name=${r.jobName}`),
    sb(`--array=${arraySpec(plan.tasks.map((t) => t.index), r.arrayParallelism)}`),
    ...(r.partition ? [sb(`--partition=${r.partition}`)] : []),
    sb(`--time=${r.time}`),
    sb('--ntasks=1'),
    sb(`--cpus-per-task=${r.cpusPerTask}`),
    ...(r.gpusPerTask > 0 ? [sb(`--gpus-per-task=${r.gpusPerTask}`)] : []),
    ...(r.mem ? [sb(`--mem=${r.mem}`)] : []),
    ...(r.account ? [sb(`--account=${r.account}`)] : []),
    ...(r.qos ? [sb(`--qos=${r.qos}`)] : []),
    sb(`--signal=B:USR1@${r.signalGrace}`),
    sb('--requeue'),
    sb('--open-mode=append'),
    sb(`--output=${path.join(plan.dir, 'slurm', 'logs', '%A_%a.out')}`),
    ...r.extra.map(sb),
    '',
    ...r.prelude,
    // exec: the trainer becomes the batch shell, so USR1 and SIGTERM reach it directly.
    `exec ${shellQuote(plan.node)} ${shellQuote(plan.cli)} slurm task ${shellQuote(plan.dir)} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ];
  return lines.join('\n');
}
