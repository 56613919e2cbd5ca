// npm run bench [-- --device cpu|cuda] [--selection fused|tensor] [--cases mnist-shape,mice-shape,tables,figures,baselines,wide,wide-read,p-study] [--epochs N] [--replicas 1,10] [--rows N --cols N]
// Prints one row per case, readable by scripts:
//   mnist-shape  cpu  R=1  0.84 s/epoch  …
//   mice-shape   cpu  R=10  3.9 s total  …
import os from 'node:os';
import { Command } from 'commander';
import { Trainer, capabilities } from '../lib/index.js';
import { tablesCase } from './tables.js';
import { figuresCase } from './figures.js';
import { baselinesCase } from './baselines.js';
import { wideCase } from './wide.js';
import { pStudyCase } from './p-study.js';
import { wideReadCase } from './wide-read.js';
import { rng } from './rng.js';
import path from 'node:path';

function synthetic(rows: number, d: number, classes: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(rows * d);
  const y = new Int32Array(rows);
  // pixel-like data: sparse non-negative values, the class shifts a block of features
  for (let i = 0; i < rows; i++) {
    const c = i % classes;
    y[i] = c;
    for (let j = 0; j < d; j++) {
      const v = r();
      x[i * d + j] = v < 0.8 ? 0 : v + (Math.floor((j * classes) / d) === c ? 0.5 : 0);
    }
  }
  return { x, y };
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function mnistShape(device: string, R: number, epochs: number, threads: number, fusedSelection = true) {
  const D = 784,
    C = 10;
  const train = synthetic(7200, D, C, 1),
    val = synthetic(1800, D, C, 2),
    test = synthetic(1500, D, C, 3);
  const seeds = [11, 22, 33, 44, 55, 66, 77, 88, 99, 1010].slice(0, R);
  const t = new Trainer({ inputDim: D, k: 50, outputDim: C, batchSize: 128, seeds, device, threads, noise: 'per-sample', fusedSelection });
  await t.setData({ train, val, test });
  const selectionPath = t.info().selectionPath;
  const times: number[] = [];
  const start = process.hrtime.bigint();
  await t.fit({ epochs: 200, until: epochs, onEpoch: (m) => times.push(m.seconds) });
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  t.dispose();
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `mnist-shape  ${device}${fusedSelection ? '' : ' (tensor-op selection)'}  R=${R}  threads=${threads || os.cpus().length}  ${median.toFixed(3)} s/epoch  (selection ${selectionPath}; median of ${epochs}; min ${sorted[0].toFixed(3)}; ${total.toFixed(2)} s for ${epochs} epochs; ${(median * 200).toFixed(1)} s per 200 epochs est.; peak RSS ${peakRssMiB().toFixed(0)} MiB)`;
}

async function miceShape(device: string, R: number, epochs: number, threads: number) {
  const D = 77,
    C = 8;
  const r = rng(5);
  const mk = (n: number) => {
    const x = new Float32Array(n * D).map(() => r());
    const y = new Int32Array(n).map(() => Math.floor(r() * C));
    return { x, y };
  };
  const seeds = [11, 22, 33, 44, 55, 66, 77, 88, 99, 1010].slice(0, R);
  const t = new Trainer({ inputDim: D, k: 10, outputDim: C, batchSize: 16, seeds, device, threads });
  await t.setData({ train: mk(648), val: mk(216), test: mk(216) });
  const start = process.hrtime.bigint();
  await t.fit({ epochs });
  await t.results();
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  t.dispose();
  return `mice-shape  ${device}  R=${R}  threads=${threads || os.cpus().length}  ${total.toFixed(2)} s total  (${epochs} epochs, validation every epoch, test at the end; ${(total / epochs * 1000).toFixed(1)} ms/epoch; peak RSS ${peakRssMiB().toFixed(0)} MiB)`;
}

async function main() {
  const program = new Command()
    .name('ipcae-bench')
    .option('--device <device>', 'cpu | cuda | cuda:N', 'cpu')
    .option('--cases <list>', 'comma-separated: mice-shape, mnist-shape, tables, figures, baselines, wide, wide-read, p-study', 'mice-shape,mnist-shape')
    .option('--data-dir <dir>', 'the paper datasets (baselines: Mice Protein)', path.resolve('..', 'shared', 'datasets'))
    .option('--rows <n>', 'rows of the tables case', '100000')
    .option('--cols <n>', 'columns of the tables case', '500')
    .option('--mnist-epochs <n>', 'epochs timed for mnist-shape', '5')
    .option('--mice-epochs <n>', 'epochs for mice-shape', '200')
    .option('--replicas <list>', 'replica-group sizes for mnist-shape', '1,10')
    .option('--threads <n>', 'CPU threads (0 = all cores)', '0')
    .option('--read-shape <rows>x<cols>', 'wide-read: the table read', '1000x100000')
    .option('--wide-shape <name>', "wide: only the shapes whose name contains this (e.g. 'gene')")
    .option('--study-dir <dir>', 'p-study: where each cell result is kept (an interrupted study resumes)', 'docs/results/p-study')
    .option('--study-only <text>', 'p-study: only the cells whose name contains this')
    .option('--study-table', 'p-study: print the table of the kept cells, train nothing')
    .option('--selection <path>', 'mnist-shape: fused (the kernels) or tensor (the materialising tensor-op path)', 'fused')
    .parse();
  const o = program.opts();
  if (o.selection !== 'fused' && o.selection !== 'tensor') {
    console.error(`ipcae-bench: expected 'fused' or 'tensor' for --selection but received '${o.selection}'`);
    process.exit(2);
  }
  const c = capabilities();
  console.log(`# ipcae bench  ${new Date().toISOString()}`);
  console.log(`# machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}`);
  console.log(`# LibTorch ${c.torchVersion}; BLAS ${c.blasLibrary || c.blas}; CUDA ${c.cudaAvailable ? c.cudaDevices.join(',') : 'none'}; fused CUDA kernel ${c.cudaKernels ? 'built' : 'not built'}`);
  const cases = String(o.cases).split(',');
  for (const name of cases) {
    if (name === 'mnist-shape') {
      for (const R of String(o.replicas).split(',').map(Number)) console.log(await mnistShape(o.device, R, Number(o.mnistEpochs), Number(o.threads), o.selection !== 'tensor'));
    } else if (name === 'mice-shape') {
      console.log(await miceShape(o.device, 10, Number(o.miceEpochs), Number(o.threads)));
    } else if (name === 'tables') {
      for (const line of await tablesCase(Number(o.rows), Number(o.cols))) console.log(line);
    } else if (name === 'figures') {
      for (const line of await figuresCase()) console.log(line);
    } else if (name === 'wide') {
      await wideCase(o.wideShape);
    } else if (name === 'wide-read') {
      const [rows, cols] = String(o.readShape).split('x').map(Number);
      await wideReadCase(rows, cols);
    } else if (name === 'p-study') {
      await pStudyCase(String(o.dataDir), path.resolve(String(o.studyDir)), o.studyOnly, Boolean(o.studyTable));
    } else if (name === 'baselines') {
      for (const line of await baselinesCase(String(o.dataDir))) console.log(line);
    } else {
      console.error(`unknown case '${name}' (expected mnist-shape, mice-shape, tables, figures, baselines, wide, wide-read or p-study)`);
      process.exitCode = 2;
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
