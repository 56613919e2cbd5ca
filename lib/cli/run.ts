#!/usr/bin/env node
// ipcae-run: train a method on a dataset with a group of seeds; print a Tables-1/2-style result.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { runExperiment, formatValue, type ExperimentConfig } from '../experiment/run.js';
import { METHODS, PAPER_SEEDS, type Method } from '../experiment/methods.js';
import { prepareEmbeddedMnist } from '../data/embedded.js';
import { prepareMice } from '../data/mice.js';
import { IpcaeError } from '../errors.js';
import type { PreparedDataset } from '../data/mice.js';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`Expected an integer >= ${min} for ${name} but received '${v}'`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`Expected a positive number for ${name} but received '${v}'`);
  return n;
};
function parseSeeds(v: string): number[] {
  if (v === 'paper') return PAPER_SEEDS;
  const s = v.split(',').map((x) => Number(x.trim()));
  if (s.length === 0 || s.some((x) => !Number.isInteger(x) || x < 0))
    throw new InvalidArgumentError(`Expected a comma-separated list of non-negative integers or 'paper' for --seeds but received '${v}'`);
  if (new Set(s).size !== s.length) throw new InvalidArgumentError(`Expected distinct seeds for --seeds but received '${v}'`);
  return s;
}

const DEFAULTS: Record<string, { k: number; batchSize: number }> = {
  'mnist-embedded': { k: 50, batchSize: 128 },
  mice: { k: 10, batchSize: 16 },
};

function dataDir(opt?: string): string {
  return opt ?? process.env.IPCAE_DATA ?? path.join(os.homedir(), '.cache', 'ipcae');
}

function loadDataset(name: string, dir: string): PreparedDataset {
  if (name === 'mnist-embedded') return prepareEmbeddedMnist();
  if (name === 'mice') {
    for (const f of ['Data_Cortex_Nuclear.csv', 'Data_Cortex_Nuclear.csv.gz']) {
      const p = path.join(dir, f);
      if (existsSync(p)) return prepareMice(p);
    }
    throw new IpcaeError('ERR_DATA', `Mice Protein: expected Data_Cortex_Nuclear.csv(.gz) in the data directory ${dir} (--data-dir or IPCAE_DATA)`);
  }
  throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected 'mnist-embedded' or 'mice' for --dataset but received '${name}'`);
}

export async function main(argv = process.argv): Promise<number> {
  const program = new Command()
    .name('ipcae-run')
    .description('Select features with (IP-)CAE: train a group of seeds and print test results (mean ± std).')
    .option('--dataset <name>', "'mnist-embedded' (no download) or 'mice'", 'mnist-embedded')
    .option('--data-dir <dir>', 'directory with the raw dataset files (default: $IPCAE_DATA or ~/.cache/ipcae)')
    .option('--task <task>', 'classification | reconstruction', 'classification')
    .option('--method <method>', METHODS.join(' | '), 'ip-cae')
    .option('--seeds <list>', "comma-separated seeds, or 'paper' (11,22,…,99,1010)", parseSeeds, [11])
    .option('--epochs <n>', 'training epochs', int('--epochs', 1), 200)
    .option('--k <n>', 'features to select (default: 50, Mice 10)', int('--k', 1))
    .option('--batch-size <n>', 'minibatch size (default: 128, Mice 16)', int('--batch-size', 1))
    .option('--lr <x>', 'Adam learning rate', positive('--lr'), 1e-3)
    .option('--hidden <list>', "decoder hidden widths, comma-separated; '' for a linear decoder", '200')
    .option('--noise <mode>', 'per-sample | per-batch', 'per-sample')
    .option('--shuffle', 'shuffle the training set every epoch (the published runs did not)', false)
    .option('--device <device>', 'cpu | cuda | cuda:N | auto', 'cpu')
    .option('--threads <n>', 'CPU threads (0 = all cores)', int('--threads', 0), 0)
    .option('--checkpoint-every <n>', 'save a resumable state every n epochs', int('--checkpoint-every', 1), 10)
    .option('--out <dir>', 'run directory (default runs/<dataset>-<task>-<method>-<timestamp>)')
    .option('--quiet', 'print only the result', false)
    .option('--json', 'print the summary as JSON', false)
    .addHelpText(
      'after',
      `
Examples:
  ipcae-run                                   IP-CAE on the embedded MNIST digits, seed 11, 200 epochs
  ipcae-run --seeds 11,22,33 --method cae     CAE, three seeds trained as one replica group
  ipcae-run --dataset mice --data-dir ./data --seeds paper
Exit codes: 0 success, 1 run failed, 2 usage error.`,
    )
    .exitOverride();

  let o: Record<string, unknown>;
  try {
    program.parse(argv);
    o = program.opts();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const usage = (msg: string) => {
    console.error(`ipcae-run: ${msg}`);
    return 2;
  };
  if (!['classification', 'reconstruction'].includes(o.task as string))
    return usage(`Expected 'classification' or 'reconstruction' for --task but received '${o.task}'`);
  if (!(METHODS as readonly string[]).includes(o.method as string))
    return usage(`Expected one of ${METHODS.join(', ')} for --method but received '${o.method}'`);
  if (!['per-sample', 'per-batch'].includes(o.noise as string))
    return usage(`Expected 'per-sample' or 'per-batch' for --noise but received '${o.noise}'`);
  const hiddenText = String(o.hidden).trim();
  const hidden = hiddenText === '' ? [] : hiddenText.split(',').map(Number);
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) return usage(`Expected positive integers for --hidden but received '${o.hidden}'`);
  const dataset = o.dataset as string;
  if (!(dataset in DEFAULTS)) return usage(`Expected 'mnist-embedded' or 'mice' for --dataset but received '${dataset}'`);

  const cfg: ExperimentConfig = {
    dataset,
    task: o.task as ExperimentConfig['task'],
    method: o.method as Method,
    seeds: o.seeds as number[],
    epochs: o.epochs as number,
    k: (o.k as number | undefined) ?? DEFAULTS[dataset].k,
    batchSize: (o.batchSize as number | undefined) ?? DEFAULTS[dataset].batchSize,
    lr: o.lr as number,
    hidden,
    device: o.device as string,
    threads: o.threads as number,
    noise: o.noise as ExperimentConfig['noise'],
    shuffle: Boolean(o.shuffle),
    checkpointEvery: o.checkpointEvery as number,
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = (o.out as string | undefined) ?? path.join('runs', `${dataset}-${cfg.task}-${cfg.method}-${stamp}`);
  const quiet = Boolean(o.quiet) || Boolean(o.json);
  const ac = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    signalled = s;
    ac.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const data = loadDataset(dataset, dataDir(o.dataDir as string | undefined));
    if (!quiet)
      console.log(
        `ipcae-run: ${dataset} (${data.indices.train.length}/${data.indices.val.length}/${data.indices.test.length}), ${cfg.task}, ${cfg.method}, K=${cfg.k}, seeds ${cfg.seeds.join(',')}, ${cfg.epochs} epochs → ${out}`,
      );
    const metricName = cfg.task === 'classification' ? 'val acc' : 'val err';
    const summary = await runExperiment(cfg, data, out, {
      signal: ac.signal,
      onEpoch: (m) => {
        if (quiet) return;
        const vals = m.replicas.map((r) => (cfg.task === 'classification' ? (100 * r.valMetric).toFixed(1) : r.valMetric.toExponential(2)));
        const up = m.replicas.map((r) => r.uniquePct.toFixed(0));
        const eta = ((cfg.epochs - m.epoch - 1) * m.seconds).toFixed(0);
        console.log(`epoch ${m.epoch + 1}/${cfg.epochs}  T=${m.temperature.toPrecision(3)}  ${metricName} ${vals.join(' ')}  unique% ${up.join(' ')}  ${m.seconds.toFixed(2)} s  ETA ${eta} s`);
      },
    });
    if (o.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`\n${cfg.method} on ${dataset} (${cfg.task}): ${cfg.task === 'classification' ? 'test accuracy' : 'test reconstruction error'} ${formatValue(summary)} over ${summary.seeds.length} seed(s); unique ${summary.meanUniquePct.toFixed(1)} %; ${summary.secondsTotal.toFixed(1)} s`);
      console.log(`results in ${out}/summary.md`);
    }
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (signalled && err.code === 'ERR_CANCELLED') {
      console.error(`ipcae-run: stopped by ${signalled}; state saved in ${out}, run the same command again to resume`);
      return signalled === 'SIGINT' ? 130 : 143;
    }
    console.error(`ipcae-run: ${err.message ?? String(e)}`);
    return err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
