// node scripts/trajectory.mjs --data <exported dir> --seed S --out <dir> [--dtype float64] [--until E]
//   [--epochs 200] [--k 50] [--batch-size 16] [--method ip-cae|cae] [--keep 1,5,10,50,100,200]
//
// Trains one ipcae replica (classification, the protocol of docs/method.md) on a dataset written by
// scripts/export-prepared.mjs and records its trajectory for bench/reference_run.py --follow:
// the initial parameters (init.f64, layout in trajectory.json), per epoch the training and validation
// loss, the hard selection and its unique percentage, and the parameters after the epochs in --keep.
// The reference then trains the same model in plain PyTorch from the same initial parameters with the
// same Gumbel noise (it re-derives ipcae's counter-based noise) and compares epoch by epoch.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '11' },
    dtype: { type: 'string', default: 'float64' },
    epochs: { type: 'string', default: '200' },
    until: { type: 'string' },
    k: { type: 'string', default: '50' },
    'batch-size': { type: 'string', default: '16' },
    method: { type: 'string', default: 'ip-cae' },
    keep: { type: 'string', default: '1,5,10,20,50,100,150,200' },
    threads: { type: 'string', default: '0' },
  },
});
if (!a.data || !a.out) {
  console.error('usage: node scripts/trajectory.mjs --data <exported dir> --out <dir> [--seed S] [--dtype float64] [--until E]');
  process.exit(2);
}
const { Trainer, temperatures } = await import(path.join(root, 'dist/lib/index.js'));

const meta = JSON.parse(readFileSync(path.join(a.data, 'meta.json'), 'utf8'));
const split = (s) => {
  const xb = readFileSync(path.join(a.data, `${s}_x.f32`));
  const yb = readFileSync(path.join(a.data, `${s}_y.i32`));
  return {
    x: new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.byteLength)),
    y: new Int32Array(yb.buffer.slice(yb.byteOffset, yb.byteOffset + yb.byteLength)),
  };
};
const epochs = Number(a.epochs);
const until = a.until ? Number(a.until) : epochs;
const keep = new Set(a.keep.split(',').map(Number));
const seed = Number(a.seed);
const t = new Trainer({
  selector: a.method === 'cae' ? 'cae' : 'ip',
  inputDim: meta.D,
  k: Number(a.k),
  outputDim: meta.classes,
  batchSize: Number(a['batch-size']),
  seeds: [seed],
  dtype: a.dtype,
  threads: Number(a.threads),
});
await t.setData({ train: split('train'), val: split('val'), test: split('test') });
mkdirSync(a.out, { recursive: true });
const dump = (name, arr) => writeFileSync(path.join(a.out, name), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
dump('init.f64', t.getParameters());
const record = [];
const temps = temperatures({ t0: 10, tEnd: 0.01, epochs }, 0, until);
const t0 = performance.now();
for (let e = 0; e < until; e++) {
  let m;
  await t.trainEpochs([temps[e]], (x) => (m = x));
  const r = m.replicas[0];
  const [sel] = await t.selection({ best: false });
  record.push({ epoch: e, temperature: temps[e], trainLoss: r.trainLoss, valLoss: r.valLoss, valMetric: r.valMetric, uniquePct: r.uniquePct, selected: sel.indices });
  if (keep.has(e + 1)) dump(`params-${e + 1}.f64`, t.getParameters());
}
const seconds = (performance.now() - t0) / 1000;
const [res] = await t.results();
writeFileSync(
  path.join(a.out, 'trajectory.json'),
  JSON.stringify({ data: path.resolve(a.data), seed, dtype: a.dtype, epochs, until, k: Number(a.k), batchSize: Number(a['batch-size']), method: a.method, layout: t.parameterLayout(), kept: [...keep].filter((e) => e <= until), seconds, result: { bestEpoch: res.bestEpoch, testAccuracy: res.test.metric, selected: res.selected }, epochsRecord: record }),
);
t.dispose();
console.log(`seed ${seed} ${a.dtype}: ${until} epochs in ${seconds.toFixed(1)} s; best epoch ${res.bestEpoch}, test accuracy ${(100 * res.test.metric).toFixed(2)} %, unique ${record.at(-1).uniquePct} % at the end → ${a.out}`);
