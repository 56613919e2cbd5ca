// The Slurm client commands ipcae calls (sbatch, squeue, sacct, scontrol), with errors that say
// which command failed and why. Clients find the cluster through the environment (SLURM_CONF …).
import { spawnSync } from 'node:child_process';
import { IpcaeError } from '../errors.js';

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export function slurmCommand(cmd: string, args: string[], input?: string): CommandResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 60_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new IpcaeError('ERR_INVALID_ARGUMENT', `${cmd} was not found on PATH: run this on a Slurm login node (or install slurm-client)`);
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${cmd} could not be run: ${r.error.message}`);
  }
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').trim() };
}

/** Runs sbatch (arguments end with the script file); returns the job id (--parsable prints "id[;cluster]"). */
export function sbatch(args: string[]): string {
  const r = slurmCommand('sbatch', ['--parsable', ...args]);
  if (!r.ok) throw new IpcaeError('ERR_INVALID_ARGUMENT', `sbatch refused the job: ${r.stderr || r.stdout.trim()}`);
  const id = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `sbatch printed '${r.stdout.trim()}', expected a job id`);
  return id;
}

export interface TaskState {
  jobId: string;
  arrayTaskId: number;
  state: string;
  reason?: string;
  exitCode?: string;
  restarts?: number;
}

/** Expands Slurm array task lists: "3", "3-7", "1,4-5", with an optional "%M" suffix. */
export function expandArrayIds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').replace(/^\[|\]$/g, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]),
      b = m[2] ? Number(m[2]) : a,
      step = m[3] ? Number(m[3]) : 1;
    for (let i = a; i <= b; i += step) out.push(i);
  }
  return out;
}

/** Live and recent states of the array tasks of the given jobs: squeue, then sacct, else scontrol. */
export function taskStates(jobIds: string[]): TaskState[] {
  if (jobIds.length === 0) return [];
  const states = new Map<string, TaskState>();
  const put = (s: TaskState) => states.set(`${s.jobId}_${s.arrayTaskId}`, s);
  const acct = slurmCommand('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode']);
  if (acct.ok) {
    for (const line of acct.stdout.split('\n')) {
      const [id, state, exitCode] = line.split('|');
      const m = /^(\d+)_\[?([\d,\-%:]+)\]?$/.exec(id ?? '');
      if (m) for (const t of expandArrayIds(m[2])) put({ jobId: m[1], arrayTaskId: t, state: state.split(' ')[0], exitCode });
    }
  } else {
    // No accounting storage (small clusters): the controller still knows recent jobs.
    for (const job of jobIds) {
      const r = slurmCommand('scontrol', ['-o', 'show', 'job', job]);
      if (!r.ok) continue;
      for (const line of r.stdout.split('\n')) {
        const f = Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
        if (!f.ArrayJobId || f.ArrayTaskId === undefined) continue;
        for (const t of expandArrayIds(f.ArrayTaskId))
          put({ jobId: f.ArrayJobId, arrayTaskId: t, state: f.JobState, reason: f.Reason, exitCode: f.ExitCode, restarts: Number(f.Restarts ?? 0) });
      }
    }
  }
  const q = slurmCommand('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T|%r']);
  if (q.ok)
    for (const line of q.stdout.split('\n')) {
      const [id, state, reason] = line.split('|');
      const m = /^(\d+)_(\d+)$/.exec(id ?? '');
      if (m) {
        const prev = states.get(`${m[1]}_${m[2]}`);
        put({ ...prev, jobId: m[1], arrayTaskId: Number(m[2]), state, reason });
      }
    }
  return [...states.values()];
}

/** Asks Slurm to requeue this array task (it must have been submitted with --requeue). */
export function requeueSelf(env: NodeJS.ProcessEnv = process.env): { ok: boolean; message: string } {
  const job = env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : env.SLURM_JOB_ID;
  if (!job) return { ok: false, message: 'not inside a Slurm job (no SLURM_JOB_ID)' };
  try {
    const r = slurmCommand('scontrol', ['requeue', job]);
    return { ok: r.ok, message: r.ok ? `requeued ${job}` : `scontrol requeue ${job} failed: ${r.stderr}` };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
