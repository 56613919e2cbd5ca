// ipcae slurm submit | resubmit | status | collect (and task, which the job script runs).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { addExperimentOptions, resolveRuns } from './run.js';
import { intFlag, listFlag } from '../config/flags.js';
import { capabilities } from '../train/trainer.js';
import { dataDir } from '../datasets/registry.js';
import { isTableFile } from '../datasets/load.js';
import { IpcaeError } from '../errors.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import {
  arraySpec,
  checkTime,
  jobsFile,
  planFile,
  planTasks,
  readJobs,
  readPlan,
  sbatchScript,
  scriptFile,
  type SlurmPlan,
  type SlurmResources,
} from '../slurm/plan.js';
import { sbatch, taskStates, type TaskState } from '../slurm/commands.js';
import { collectSlurm, missingLines, taskProgress } from '../slurm/collect.js';
import { runSlurmTask } from '../slurm/task.js';

const cliFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ipcae.js');

const collectList = (v: string, prev: string[] = []) => [...prev, v];
/** true when this build of ipcae sees CUDA, else what it sees instead. */
function cudaHere(): true | string {
  try {
    const c = capabilities();
    return c.cudaAvailable ? true : `the LibTorch this ipcae is built against (${c.torchVersion}) has no CUDA device here`;
  } catch (e) {
    return `the native addon does not load here (${(e as Error).message.split('\n')[0]})`;
  }
}

/** A list flag parsed inside an action: its error is a usage error (exit 2). */
const listIn = (flag: string, v: string) => {
  try {
    return listFlag(flag)(v);
  } catch (e) {
    throw new IpcaeError('ERR_INVALID_ARGUMENT', (e as Error).message);
  }
};

/** The newest Slurm state of each array task index over all submissions of an experiment. */
function latestStates(dir: string): Map<number, TaskState> {
  const jobs = readJobs(dir);
  const order = new Map(jobs.map((j, i) => [j.jobId, i]));
  const latest = new Map<number, TaskState>();
  for (const s of taskStates(jobs.map((j) => j.jobId))) {
    const prev = latest.get(s.arrayTaskId);
    if (!prev || (order.get(s.jobId) ?? -1) >= (order.get(prev.jobId) ?? -1)) latest.set(s.arrayTaskId, s);
  }
  return latest;
}

function recordJob(dir: string, jobId: string, array: string) {
  writeJsonAtomic(jobsFile(dir), [...readJobs(dir), { jobId, submitted: new Date().toISOString(), array }]);
}

export function buildSlurmProgram(): Command {
  const program = new Command().name('ipcae slurm').description('Experiments as Slurm job arrays: submit, status, collect').exitOverride();

  addExperimentOptions(
    program
      .command('submit')
      .description('expand an experiment into array tasks (dataset × task × method; one replica group of seeds each, or one seed each with --per-seed) and submit them with sbatch'),
    true,
  )
    .option('--out <dir>', 'shared results directory, visible from the compute nodes (default runs/slurm-<timestamp>)')
    .option('--partition <name>', 'Slurm partition (default: the cluster default)')
    .option('--gpus-per-task <n>', 'GPUs per array task (0 = CPU)', intFlag('--gpus-per-task', 0), 0)
    .option('--cpus-per-task <n>', 'CPU cores per array task (the trainer uses them all)', intFlag('--cpus-per-task', 1), 1)
    .requiredOption('--time <limit>', 'time limit per task (HH:MM:SS, D-HH:MM:SS, minutes)')
    .option('--array-parallelism <m>', 'at most m tasks running at once', intFlag('--array-parallelism', 1))
    .option('--per-seed', 'one task per seed instead of one replica group per method', false)
    .option('--mem <size>', 'memory per task (e.g. 8G)')
    .option('--account <name>', 'Slurm account')
    .option('--qos <name>', 'Slurm QOS')
    .option('--signal-grace <s>', 'seconds before the time limit at which the trainer checkpoints and requeues (USR1)', intFlag('--signal-grace', 1), 120)
    .option('--job-name <name>', 'Slurm job name', 'ipcae')
    .option('--sbatch-arg <arg>', "an extra #SBATCH argument, e.g. '--constraint=a100' (repeatable)", collectList, [])
    .option('--prelude <line>', "a shell line run before the trainer, e.g. 'module load cuda' (repeatable)", collectList, [])
    .option('--node <path>', 'the node executable on the compute nodes', process.execPath)
    .option('--dry-run', 'print the job script and the tasks; submit nothing, write nothing', false)
    .option('--no-cuda-check', "don't warn when --gpus-per-task is asked for but this build of ipcae has no CUDA")
    .action(function (this: Command) {
      const o = this.opts();
      const cli = (k: string) => this.getOptionValueSource(k) === 'cli';
      const datasets = listIn('--dataset', o.dataset);
      const tasksAsked = listIn('--task', o.task);
      if (o.config && (datasets.length > 1 || tasksAsked.length > 1))
        throw new IpcaeError('ERR_INVALID_ARGUMENT', 'Expected one --dataset and one --task with --config (the file names them); leave out --config to run several');
      if (o.gpusPerTask === 0 && /^cuda/.test(o.device ?? '')) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --gpus-per-task >= 1 for --device ${o.device}`);
      if (o.gpusPerTask > 0 && o.device === undefined) o.device = 'cuda';
      if (o.gpusPerTask > 0 && o.cudaCheck) {
        const cuda = cudaHere();
        if (cuda !== true)
          console.error(
            `ipcae slurm: warning: --gpus-per-task ${o.gpusPerTask}, but ${cuda}. Unless the compute nodes run their own build against a CUDA LibTorch, the tasks will fail there with ERR_DEVICE (--no-cuda-check silences this).`,
          );
      }
      if (((o.k as number[] | undefined)?.length ?? 0) > 1)
        throw new IpcaeError('ERR_INVALID_ARGUMENT', 'Expected one --k for ipcae slurm submit: a K sweep is one experiment per K (each with its own --out), then ipcae compare over them');
      const runs = datasets.flatMap((d) =>
        tasksAsked.map((t) => resolveRuns(o, cli, d, t)).flat(),
      );
      for (const r of runs) if (isTableFile(r.cfg.dataset)) r.cfg.dataset = path.resolve(r.cfg.dataset);
      const tasks = planTasks(runs, o.perSeed);
      const dir = path.resolve(o.out ?? path.join('runs', `slurm-${new Date().toISOString().replace(/[:.]/g, '-')}`));
      const resources: SlurmResources = {
        partition: o.partition,
        time: checkTime(o.time),
        gpusPerTask: o.gpusPerTask,
        cpusPerTask: o.cpusPerTask,
        mem: o.mem,
        account: o.account,
        qos: o.qos,
        arrayParallelism: o.arrayParallelism,
        signalGrace: o.signalGrace,
        jobName: o.jobName,
        extra: o.sbatchArg,
        prelude: o.prelude,
      };
      const plan: SlurmPlan = {
        version: 1,
        created: new Date().toISOString(),
        dir,
        dataDir: path.resolve(dataDir(o.dataDir)),
        node: o.node,
        cli: cliFile,
        perSeed: o.perSeed,
        resources,
        tasks,
      };
      const script = sbatchScript(plan);
      if (o.dryRun) {
        process.stdout.write(script);
        console.error(`\n${tasks.length} task(s):\n${tasks.map((t) => `  ${t.index} ${t.id} (seeds ${t.cfg.seeds.join(',')}, ${t.cfg.epochs} epochs)`).join('\n')}`);
        return;
      }
      if (existsSync(planFile(dir))) {
        const prev = readPlan(dir);
        const same = JSON.stringify(prev.tasks) === JSON.stringify(tasks);
        throw new IpcaeError(
          'ERR_INVALID_ARGUMENT',
          same
            ? `${dir} already holds this experiment; run 'ipcae slurm resubmit ${dir}' to submit its unfinished tasks again`
            : `${dir} holds a different Slurm experiment; choose another --out`,
        );
      }
      mkdirSync(path.join(dir, 'slurm', 'logs'), { recursive: true });
      writeJsonAtomic(planFile(dir), plan);
      writeAtomic(scriptFile(dir), script);
      const jobId = sbatch([scriptFile(dir)]);
      recordJob(dir, jobId, arraySpec(tasks.map((t) => t.index), resources.arrayParallelism));
      console.log(`Submitted job ${jobId}: ${tasks.length} task(s) → ${dir}`);
      console.log(`  ipcae slurm status ${dir}\n  ipcae slurm collect ${dir}`);
    });

  program
    .command('resubmit')
    .description('submit the unfinished tasks of an experiment again (those not queued or running); they resume from their checkpoints')
    .argument('<dir>', 'the experiment directory')
    .option('--array-parallelism <m>', 'at most m tasks running at once', intFlag('--array-parallelism', 1))
    .action((dir: string, o: { arrayParallelism?: number }) => {
      const plan = readPlan(path.resolve(dir));
      const live = latestStates(plan.dir);
      const todo = plan.tasks.filter((t) => {
        const s = live.get(t.index)?.state ?? '';
        return taskProgress(plan.dir, t).state !== 'finished' && !/^(PENDING|RUNNING|REQUEUED|CONFIGURING|COMPLETING|SUSPENDED|RESIZING)/.test(s);
      });
      if (todo.length === 0) {
        console.log(`Nothing to resubmit in ${plan.dir}: every task is finished, queued or running`);
        return;
      }
      const spec = arraySpec(todo.map((t) => t.index), o.arrayParallelism ?? plan.resources.arrayParallelism);
      const jobId = sbatch([`--array=${spec}`, scriptFile(plan.dir)]);
      recordJob(plan.dir, jobId, spec);
      console.log(`Submitted job ${jobId}: task(s) ${spec} of ${plan.dir}`);
    });

  program
    .command('status')
    .description('per-task state: Slurm (squeue, sacct or scontrol) and the files each task wrote')
    .argument('<dir>', 'the experiment directory')
    .option('--json', 'print JSON', false)
    .action((dir: string, o: { json: boolean }) => {
      const plan = readPlan(path.resolve(dir));
      const live = latestStates(plan.dir);
      const rows = plan.tasks.map((t) => {
        const p = taskProgress(plan.dir, t);
        const s = live.get(t.index);
        return { ...p, slurm: s ? { job: `${s.jobId}_${s.arrayTaskId}`, state: s.state, reason: s.reason, exitCode: s.exitCode, restarts: s.restarts } : undefined };
      });
      if (o.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const done = rows.filter((r) => r.state === 'finished').length;
      console.log(`${plan.dir}: ${done} of ${rows.length} task(s) finished; jobs ${readJobs(plan.dir).map((j) => j.jobId).join(', ') || '(none)'}`);
      console.log('| # | task | slurm | files | attempts |\n|---|---|---|---|---|');
      for (const r of rows) {
        const slurm = r.slurm ? `${r.slurm.job} ${r.slurm.state}${r.slurm.reason && r.slurm.reason !== 'None' ? ` (${r.slurm.reason})` : ''}` : '—';
        const files = r.state === 'checkpointed' && r.epoch !== undefined ? `checkpoint ${r.epoch}/${r.epochs}` : r.state === 'failed' ? `failed: ${r.detail}` : r.state;
        console.log(`| ${r.index} | ${r.id} | ${slurm} | ${files} | ${r.attempts} |`);
      }
    });

  program
    .command('collect')
    .description('merge the finished tasks into summary.json / summary.md and print the comparison table (exit 3 while tasks are missing)')
    .argument('<dir>', 'the experiment directory')
    .option('--json', 'print the merged summaries as JSON', false)
    .action(function (this: Command, dir: string, o: { json: boolean }) {
      const r = collectSlurm(path.resolve(dir));
      if (o.json) console.log(JSON.stringify({ complete: r.complete, missing: r.missing, summaries: r.summaries }, null, 2));
      else {
        console.log(r.table);
        const partial = r.coverage.filter((c) => c.seeds < c.planned);
        if (partial.length) console.log(`\nIncomplete rows (seeds finished / planned):\n${partial.map((c) => `  ${c.key}: ${c.seeds}/${c.planned}`).join('\n')}`);
        if (r.missing.length) console.log(`\n${r.missing.length} of ${r.tasks.length} task(s) missing or failed:\n${missingLines(r).join('\n')}\n  (ipcae slurm resubmit ${dir} runs them again)`);
        console.log(`\nMerged into ${path.join(path.resolve(dir), 'summary.json')} and summary.md`);
      }
      if (!r.complete) (this as Command & { exitStatus?: number }).exitStatus = 3;
    });

  program
    .command('task', { hidden: true })
    .description('run one array task (the job script calls this)')
    .argument('<dir>')
    .argument('<index>', 'SLURM_ARRAY_TASK_ID', intFlag('<index>', 0))
    .action(async function (this: Command, dir: string, index: number) {
      (this as Command & { exitStatus?: number }).exitStatus = await runSlurmTask(dir, index);
    });
  return program;
}

/** Runs `ipcae slurm …`; returns the exit status. */
export async function slurmMain(args: string[]): Promise<number> {
  const program = buildSlurmProgram();
  await program.parseAsync(args, { from: 'user' });
  for (const c of program.commands) {
    const s = (c as Command & { exitStatus?: number }).exitStatus;
    if (s !== undefined) return s;
  }
  return 0;
}
