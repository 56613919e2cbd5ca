#!/usr/bin/env node
// ipcae-run: train a method on a dataset with a group of seeds; print a Tables-1/2-style result.
import { exitQuietlyOnClosedPipe } from './pipe.js';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { checkMemoryBudget, estimateRun, runExperiment, seedGroups, seedsPerGroup } from '../experiment/run.js';
import { availableMemory, describeEstimate } from '../train/memory-model.js';
import { formatValue, type Summary } from '../experiment/summary.js';
import { ALL_METHODS as METHODS, isBaselineMethod } from '../train/methods.js';
import { bytesFlag, choiceFlag, listFlag } from '../config/flags.js';
import { loadExperimentConfig, resolveExperimentConfig, withWidthDefaults, defaultConfigFile, experimentSchema, DATASETS, type ExperimentConfig, type ExperimentConfigInput } from '../config/experiment.js';
import { parseOrThrow } from '../validate.js';
import { checkWritableDir } from '../files/dirs.js';
import type { PreparedDataset } from '../datasets/dataset.js';
import { isTableFile, loadDataset, type TableOptions } from '../datasets/load.js';
import { dataDir } from '../datasets/registry.js';
import { IpcaeError } from '../errors.js';
import { compareRuns, comparisonTable, readRun } from '../report/compare.js';
import { drawRunFigures, glyphWarnings } from '../report/figures.js';
import { parseImageShape } from '../figures/selection-map.js';
import { progress, type Progress } from './progress.js';
import { TASKS, taskMetric } from '../task.js';
import { FIT_OPTIONS, flagName, type FitOption } from '../config/fit-options.js';


/** The experiment flags shared by ipcae-run and ipcae slurm submit. */
export function addExperimentOptions(cmd: Command, lists = false): Command {
  cmd
    .option('--config <file>', 'experiment config (YAML); default configs/<dataset>/<task>.yaml')
    .option(
      lists ? '--dataset <names>' : '--dataset <name|file>',
      `mnist-embedded (no download), mnist, fashion-mnist, isolet, coil20, har, mice; the official code's gene, arcene, dexter, cancer, breast; or a table file of your own (Arrow IPC, Parquet, CSV/TSV)${lists ? '; comma-separated for several' : ''}`,
      'mnist-embedded',
    )
    .option('--target <column>', 'table file: the target column (classes, or numbers for --task regression)')
    .option('--exclude <list>', 'table file: columns that are not features, comma-separated', listFlag('--exclude'))
    .option('--split-column <column>', "table file: a column of 'train' / 'val' / 'test' (default: 60/20/20, seed 42)")
    .option('--impute <how>', "table file: missing feature values are an error (default) or 'mean' (train means)", choiceFlag('--impute', ['error', 'mean']))
    .option('--categorical <how>', "table file: text columns are an error (default) or 'onehot' features 'column=value'", choiceFlag('--categorical', ['error', 'onehot']))
    .option('--data-dir <dir>', 'directory with the raw dataset files (default: $IPCAE_DATA or ~/.cache/ipcae)')
    .option(lists ? '--task <tasks>' : '--task <task>', `classification | reconstruction | regression (a table file with a numeric target)${lists ? '; comma-separated for several' : ''}`, 'classification')
    .option('--methods <list>', 'several methods, one after another, then a comparison table', listFlag('--methods', METHODS));
  // the options of a fit: one table (lib/config/fit-options.ts)
  for (const { flag, help = '', parse } of FIT_OPTIONS as readonly FitOption[]) {
    if (!flag) continue;
    if (parse) cmd.option(flag, help, parse(flag.split(' ')[0]) as (v: string, previous: unknown) => unknown);
    else cmd.option(flag, help);
  }
  return cmd;
}

export function buildProgram() {
  return addExperimentOptions(
    new Command().name('ipcae-run').description('Select features with (IP-)CAE: train a group of seeds as one replica group and print test results (mean ± std).'),
  )
    .option('--out <dir>', 'run directory (default runs/<dataset>-<task>-<method>-<timestamp>)')
    .option('--restart', 'start the run in --out over from epoch 0 (its results are removed), e.g. after its data changed', false)
    .option('--no-figures', 'do not draw the run\'s figures (curves; selection map for image data) into <out>/figures/')
    .option('--image-shape <HxW>', 'your image data: H×W pixels, features row-major (the selection map; the paper\'s image datasets are known)')
    .option('--dry-run', 'check everything and print the memory and work estimate of each run; train nothing, write nothing', false)
    .option('--memory-limit <size>', 'refuse a run whose estimated peak memory exceeds this (8G, 512M, bytes; default: the memory of the machine or its cgroup)', bytesFlag('--memory-limit'))
    .option('--quiet', 'print only the result', false)
    .option('--json', 'print the summary as JSON', false)
    .addHelpText(
      'after',
      `
Examples:
  ipcae-run                                   IP-CAE on the embedded MNIST digits, seed 11, 200 epochs
  ipcae-run --seeds 11,22,33 --method cae     CAE, three seeds trained as one replica group
  ipcae-run --dataset mice --data-dir ./data --seeds paper --methods cae,ip-cae
  ipcae-run --dataset mice --data-dir ./data --seeds paper --methods ip-cae,stg,lassonet   beside the paper's baselines
Re-running with the same --out resumes an interrupted run and skips a finished one.
Exit codes: 0 success, 1 run failed (ERR_DIVERGED: some seeds diverged, the others' results are kept), 2 usage error.`,
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** One resolved run: a validated config plus, for a user's Arrow file, how to read it. */
export interface ResolvedRun {
  cfg: ExperimentConfig;
  table: TableOptions;
}

/** Config keys that flags override, and the flag of each (for messages): the table's. */
const FLAG_OF_KEY: Record<string, string> = Object.fromEntries(FIT_OPTIONS.filter((o) => o.flag).map((o) => [o.key, flagName(o)]));

const usageError = (msg: string) => new IpcaeError('ERR_INVALID_ARGUMENT', msg);

/**
 * The runs a set of experiment flags asks for (one per method), validated: usage errors throw
 * ERR_INVALID_ARGUMENT naming the flag. `cli(k)` tells whether option k was given on the command line.
 */
export function resolveRuns(o: Record<string, any>, cli: (k: string) => boolean, dataset: string = o.dataset, task: string = o.task): ResolvedRun[] {
  if (!(TASKS as readonly string[]).includes(task))
    throw usageError(`Expected 'classification', 'reconstruction' or 'regression' for --task but received '${task}'`);
  if (task === 'regression' && !isTableFile(dataset))
    throw usageError(`Expected a table file for --task regression (the paper's datasets have classes) but --dataset is '${dataset}'`);
  // Each flag's value is checked against the config schema's field here, so that a bad value is
  // blamed on the flag, never on the config file it overrides.
  const ks = o.k as number[] | undefined;
  for (const k of ks ?? []) parseOrThrow(experimentSchema.shape.k, k, '--k');
  const overrides: Record<string, unknown> = {};
  for (const opt of FIT_OPTIONS as readonly FitOption[]) {
    if (!opt.flag || o[opt.key] === undefined || opt.key === 'k') continue;
    parseOrThrow(opt.config!, o[opt.key], flagName(opt));
    // a flag overrides its key of the config, where the config keeps it (decoder.hidden)
    const [head, ...rest] = opt.configPath ?? [opt.key];
    overrides[head] = rest.length ? { [rest[0]]: o[opt.key] } : o[opt.key];
  }
  if (cli('dataset')) overrides.dataset = dataset;
  if (cli('task')) overrides.task = task as ExperimentConfigInput['task'];
  const arrowFile = isTableFile(dataset);
  if (arrowFile && !existsSync(dataset)) throw usageError(`Expected an existing table file (Arrow IPC, Parquet, CSV) for --dataset but ${dataset} does not exist`);
  if (arrowFile && !o.config && o.k === undefined) throw usageError(`Expected --k (features to select) for a run on ${dataset}`);
  const configFile = (o.config as string | undefined) ?? defaultConfigFile(dataset, task);
  if (!o.config && !arrowFile && !existsSync(configFile))
    throw usageError(`Expected 'mnist-embedded', a paper dataset (${DATASETS.filter((d) => d !== 'mnist-embedded').join(', ')}) or a table file (Arrow IPC, Parquet, CSV) for --dataset but received '${dataset}' (no ${configFile})`);
  const methods = (o.methods as string[] | undefined) ?? [undefined];
  return methods.flatMap((m) => (ks ?? [undefined]).map((k) => ({ m, k }))).map(({ m, k }) => {
    const ov = { ...overrides, ...(m ? { method: m as ExperimentConfigInput['method'] } : {}), ...(k !== undefined ? { k } : {}) } as Partial<ExperimentConfigInput>;
    const cfg =
      arrowFile && !o.config
        ? resolveExperimentConfig({ batchSize: 128, ...Object.fromEntries(Object.entries(ov).filter(([, v]) => v !== undefined)), dataset, task }, 'command line')
        : loadExperimentConfig(configFile, ov);
    return { cfg, table: { target: o.target, exclude: o.exclude, splitColumn: o.splitColumn, task: cfg.task, taskGiven: cli('task') || Boolean(o.config), impute: o.impute, categorical: o.categorical } };
  });
}

/**
 * Checks a resolved run against its data, naming the flag: K and the embedding size P against the
 * D features, the batch size against the training rows. A batch size that was not asked for (the
 * default, or a config file's) larger than the training rows becomes the row count, with a note, as
 * the library does; one given with --batch-size is refused.
 */
export function checkAgainstData(run: ResolvedRun, data: PreparedDataset, cli: (k: string) => boolean, notes: string[]): void {
  const { cfg } = run;
  const D = data.inputDim;
  const where = `the ${D} features of ${cfg.dataset}`;
  if (cfg.k > D) throw usageError(`Expected --k at most ${D} (${where}) but received ${cfg.k}`);
  if (cfg.p !== undefined && cfg.p > D && cfg.method.startsWith('ip-')) throw usageError(`Expected --p at most ${D} (${where}) but received ${cfg.p}`);
  if ((cfg.method === 'ip-diag' || cfg.method === 'ip-scalar') && cfg.p !== undefined && cfg.p !== 0 && cfg.p !== D)
    throw usageError(`Expected no --p (or --p ${D}, the features of ${cfg.dataset}) for --method ${cfg.method}: its embedding size is D, but received --p ${cfg.p}`);
  // P and the noise where neither flag nor config chose them: by the table's width (said once here)
  if (!isBaselineMethod(cfg.method)) {
    run.cfg = withWidthDefaults(cfg, D);
    if (run.cfg.defaultsNote) notes.push(run.cfg.defaultsNote);
  }
  const rows = data.indices.train.length;
  if (cfg.batchSize > rows) {
    if (cli('batchSize')) throw usageError(`Expected --batch-size at most ${rows} (the training rows of ${cfg.dataset}) but received ${cfg.batchSize}`);
    notes.push(`batch size ${cfg.batchSize} (${cli('config') ? 'the config file\'s' : 'the default'}) is more than the ${rows} training rows of ${cfg.dataset}: using ${rows} (set --batch-size to choose)`);
    run.cfg = { ...run.cfg, batchSize: rows };
  }
}

export async function main(argv = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = program.opts();
  const cli = (k: string) => program.getOptionValueSource(k) === 'cli';
  const quiet = Boolean(o.quiet) || Boolean(o.json);
  const ac = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    signalled = s;
    ac.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let out = '';
  let bar: Progress | undefined;
  try {
    const imageShape = o.imageShape !== undefined ? parseImageShape(String(o.imageShape)) : undefined;
    const runs = resolveRuns(o, cli);
    // Every run of the command is checked against its data before the first one trains: a K sweep
    // or a list of methods never trains some runs and then refuses another.
    const loaded = new Map<string, ReturnType<typeof loadDataset>>();
    const dataOf = (r: ResolvedRun) => {
      const key = JSON.stringify([r.cfg.dataset, r.table]);
      if (!loaded.has(key)) loaded.set(key, loadDataset(r.cfg.dataset, dataDir(o.dataDir), { ...r.table, signal: ac.signal }));
      return loaded.get(key)!;
    };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const sweep = ((o.k as number[] | undefined)?.length ?? 0) > 1;
    const several = Boolean(o.methods && (o.methods as string[]).length > 1);
    const outOf = (cfg: ExperimentConfig) =>
      o.out
        ? runs.length > 1
          ? path.join(o.out, ...(several || !sweep ? [cfg.method] : []), ...(sweep ? [`k${cfg.k}`] : []))
          : o.out
        : path.join('runs', `${path.basename(cfg.dataset).replace(/\.[^.]+$/, '')}-${cfg.task}-${cfg.method}-${stamp}`);
    // an unwritable --out fails now, before the data is read (ERR_OUTPUT); nothing is created yet
    for (const r of runs) checkWritableDir(outOf(r.cfg));
    const notes: string[] = [];
    for (const r of runs) checkAgainstData(r, await dataOf(r), cli, notes);
    if (!quiet) for (const n of [...new Set(notes)]) console.log(`ipcae-run: ${n}`);
    const memoryLimit = (o.memoryLimit as number | undefined) ?? availableMemory();
    if (o.dryRun) {
      let refused = 0;
      for (const r of runs) {
        const data = await dataOf(r);
        const e = estimateRun(r.cfg, data);
        console.log(
          `ipcae-run: dry run: ${r.cfg.dataset} (${data.indices.train.length}/${data.indices.val.length}/${data.indices.test.length} rows, D = ${data.inputDim}), ${r.cfg.task}, ${r.cfg.method}, K = ${r.cfg.k}, ${r.cfg.seeds.length} seed(s), batch ${r.cfg.batchSize}, ${r.cfg.epochs} epochs${r.cfg.method.startsWith('ip-') ? `, P = ${r.cfg.p || `D (${data.inputDim})`}` : ''}, noise ${r.cfg.noise} → ${outOf(r.cfg)}`,
        );
        if (!e) {
          console.log(`  ${r.cfg.method}: no memory model for the baselines (their networks are small: one hidden layer of 200)`);
          continue;
        }
        for (const line of describeEstimate(e, memoryLimit)) console.log(`  ${line}`);
        const size = e.peakBytes > memoryLimit && r.cfg.seeds.length > 1 ? seedsPerGroup(r.cfg, data, memoryLimit) : 0;
        if (size >= 1) {
          const groups = seedGroups(r.cfg.seeds, size);
          console.log(`  the seeds do not fit together: ${groups.length} groups of up to ${size} seed(s), one after another (${groups.map((g) => g.join(',')).join(' | ')}); each seed's result is the one it has alone`);
          continue;
        }
        try {
          checkMemoryBudget(r.cfg, data, e, memoryLimit);
        } catch (err) {
          refused++;
          console.log(`  refused: ${(err as Error).message}`);
        }
      }
      console.log(`ipcae-run: dry run: nothing was trained or written${refused ? `; ${refused} run(s) would be refused (ERR_MEMORY_BUDGET)` : ''}`);
      return refused ? 1 : 0;
    }
    const summaries: Summary[] = [];
    const dirs: string[] = [];
    for (const run of runs) {
      const { cfg } = run;
      out = outOf(cfg);
      const data = await dataOf(run);
      if (imageShape && imageShape[0] * imageShape[1] !== data.inputDim)
        throw usageError(`Expected --image-shape ${imageShape[0]}x${imageShape[1]} to hold the ${data.inputDim} features of ${cfg.dataset} but it holds ${imageShape[0] * imageShape[1]} pixels`);
      if (!quiet) for (const g of data.ignored ?? []) console.log(`ipcae-run: column '${g.column}' is not a feature: ${g.reason}`);
      if (!quiet)
        console.log(
          `ipcae-run: ${cfg.dataset} (${data.indices.train.length}/${data.indices.val.length}/${data.indices.test.length}), ${cfg.task}, ${cfg.method}, K=${cfg.k}, seeds ${cfg.seeds.join(',')}, ${cfg.epochs} epochs → ${out}`,
        );
      bar = progress({ task: cfg.task, epochs: cfg.epochs }, { quiet });
      const summary = await runExperiment(cfg, data, out, {
        signal: ac.signal,
        memoryLimit,
        restart: Boolean(o.restart),
        onWarning: (m) => {
          bar?.stop();
          console.error(`ipcae-run: warning: ${m}`);
        },
        onStage: (m) => {
          if (!quiet) console.log(`ipcae-run: ${m}`);
        },
        onStart: (s) => bar?.start(s.resumedFromEpoch),
        onEpoch: (ep) => bar?.epoch(ep),
      });
      bar.stop();
      if (o.figures !== false) {
        // The result is committed: a figure that cannot be drawn is a warning, never a failed run.
        try {
          const drawn = await drawRunFigures(out, { imageShape });
          if (!quiet && drawn.length) console.log(`ipcae-run: figures: ${drawn.map((d) => path.relative(out, d.pngFile)).join(', ')} in ${out}`);
          for (const w of glyphWarnings(drawn)) console.error(`ipcae-run: warning: ${w}`);
        } catch (e) {
          console.error(`ipcae-run: warning: the run's figures were not drawn: ${(e as Error).message}`);
        }
      }
      summaries.push(summary);
      dirs.push(out);
      if (o.json) console.log(JSON.stringify(summary, null, 2));
      else
        console.log(
          `${cfg.method} on ${cfg.dataset} (${cfg.task}): ${taskMetric(cfg.task).test} ${formatValue(summary)} over ${summary.seeds.length} seed(s); unique ${summary.meanUniquePct.toFixed(1)} %; ${summary.secondsTotal.toFixed(1)} s${summary.sittings ? ` over ${summary.sittings.count} sittings` : ''}; results in ${out}`,
        );
    }
    if (summaries.length > 1 && !o.json) {
      const sweep = ((o.k as number[] | undefined)?.length ?? 0) > 1;
      if (sweep) console.log('\n' + compareRuns(dirs.map((d) => readRun(d))));
      else console.log('\n' + comparisonTable(summaries));
    }
    return 0;
  } catch (e) {
    bar?.stop();
    const err = e as { code?: string; message?: string };
    if (signalled && err.code === 'ERR_CANCELLED') {
      console.error(out ? `\nipcae-run: stopped by ${signalled}; state saved in ${out}; run the same command to resume` : `\nipcae-run: stopped by ${signalled} while reading the data; nothing was written`);
      return signalled === 'SIGINT' ? 130 : 143;
    }
    console.error(`ipcae-run: ${err.message ?? String(e)}`);
    return err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  exitQuietlyOnClosedPipe();
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
