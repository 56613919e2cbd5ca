// node scripts/baseline-bits.mjs [--against <other checkout>]
//
// Fingerprints of the baselines' arithmetic: trains small STG, LassoNet and retrain jobs (both
// tasks, float32 and float64, three seeds, on a fixed synthetic table) and prints a hash of every
// result's bytes (parameters, losses, path points). A change meant to make the native code faster
// without changing a single bit (so that the recorded cells in docs/results.md stay regenerable)
// should leave every line the same: run it with `--against` a checkout (built) of the commit before,
// on the same machine (BLAS picks its kernels by CPU). Exit status 1 when a line differs.
import path from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let args;
try {
  args = parseArgs({ options: { against: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  console.error(`baseline-bits: ${e.message}`);
  process.exit(2);
}
if (args.help) {
  console.log('usage: node scripts/baseline-bits.mjs [--against <other built checkout>]');
  process.exit(0);
}

async function fingerprints(root) {
  for (const f of ['dist/lib/baselines/native.js', 'build/Release/ipcae.node'])
    if (!existsSync(path.join(root, f))) throw new Error(`${root}: no ${f} (build that checkout first: npm run build)`);
  const nat = await import(path.join(root, 'dist/lib/baselines/native.js'));
  const opt = await import(path.join(root, 'dist/lib/baselines/options.js'));
  let s = 7;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const D = 23, O = 3;
  const split = (n, task) => {
    const x = Float32Array.from({ length: n * D }, () => rand() * 2 - 1);
    const y = Int32Array.from({ length: n }, (_, i) => (x[i * D] > 0 ? 1 : 0) + (x[i * D + 1] > 0.3 ? 1 : 0));
    return { x, rows: n, ...(task === 'classification' ? { y } : {}) };
  };
  const lines = [];
  const hash = (name, values) => {
    const h = createHash('sha256').update(Buffer.from(Float64Array.from(values).buffer));
    lines.push([name, h.digest('hex').slice(0, 16)]);
  };
  for (const task of ['classification', 'reconstruction']) {
    const splits = { train: split(96, task), val: split(40, task), test: split(40, task) };
    for (const dtype of ['float32', 'float64']) {
      const base = opt.nativeBaselineOptions({
        task, inputDim: D, outputDim: task === 'classification' ? O : D, seeds: [11, 22, 33],
        hidden: 17, batchSize: 16, threads: 1, dtype, lambdas: [0.1, 1, 3],
      });
      const stg = new nat.StgModel(base, splits);
      const epochs = await stg.runEpochs(6);
      const p = stg.parameters();
      hash(`stg ${task} ${dtype}`, [...p.mu, ...p.W1, ...epochs.flatMap((e) => [...e.trainLoss, ...e.valLoss, ...e.valMetric, ...e.open])]);
      const ln = new nat.LassoNetModel({ ...base, batchSize: 0, denseEpochs: 20, densePatience: 5, pathEpochs: 10, pathPatience: 3, lambdaStart: 0 }, splits);
      const { points } = await ln.advance(300);
      if (points.length < 10) throw new Error(`LassoNet left only ${points.length} path points: the fingerprint would not cover the path`);
      hash(`lassonet ${task} ${dtype}`, points.flatMap((q) => [q.lambda, q.epochs, q.valLoss, q.valObjective, ...q.thetaNorm]));
      const rt = await nat.retrainNative(base, splits, [[0, 1, 2], [3, 4, 5], [1, 2, 3]], 7);
      hash(`retrain ${task} ${dtype}`, [...rt.testLoss, ...rt.testMetric, ...rt.bestValLoss, ...rt.bestEpoch]);
    }
  }
  return lines;
}

try {
  const mine = await fingerprints(here);
  if (!args.against) {
    for (const [name, h] of mine) console.log(`${name.padEnd(32)} ${h}`);
  } else {
    const other = await fingerprints(path.resolve(args.against));
    let differ = 0;
    console.log(`| job | ${path.basename(here)} | ${path.basename(path.resolve(args.against))} | |`);
    console.log('|---|---|---|---|');
    mine.forEach(([name, h], i) => {
      const same = other[i][1] === h;
      if (!same) differ++;
      console.log(`| ${name} | ${h} | ${other[i][1]} | ${same ? 'same' : '**differs**'} |`);
    });
    console.log(differ ? `\n${differ} of ${mine.length} differ` : `\nall ${mine.length} bit-identical`);
    process.exitCode = differ ? 1 : 0;
  }
} catch (e) {
  console.error(`baseline-bits: ${e.message}`);
  process.exitCode = 2;
}
