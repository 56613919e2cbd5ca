import test from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, type TrainerOptionsInput } from '../lib/index.js';
import { synthetic, splitData, rng } from './helpers.js';

// Central finite differences of the training loss (task − λ·GJSD, first batch, the step's noise)
// against the hand-written backward pass, in float64.
async function checkGradients(over: Partial<TrainerOptionsInput>) {
  const D = 7;
  const task = over.task ?? 'classification';
  const { x, y } = synthetic({ rows: 24, d: D, classes: 3, seed: 2 });
  let target: Int32Array | Float32Array | undefined = y;
  let width = 1;
  if (task === 'reconstruction') target = undefined;
  if (task === 'regression') {
    width = 2;
    target = new Float32Array(24 * 2).map((_, i) => Math.sin(i));
  }
  const t = new Trainer({
    inputDim: D,
    k: 3,
    outputDim: task === 'classification' ? 3 : task === 'regression' ? 2 : 0,
    hidden: [5],
    batchSize: 6,
    seeds: [13],
    dtype: 'float64',
    threads: 1,
    ...over,
  });
  await t.setData(splitData(x, target, D, 12, 6, width));
  const T = 0.8;
  const p0 = t.getParameters();
  const { gradient } = await t.lossAndGradient(T);
  const h = 1e-6;
  const r = rng(7);
  // every parameter for small tensors; a random sample of 60 otherwise
  const idx = p0.length <= 150 ? [...p0.keys()] : Array.from({ length: 60 }, () => Math.floor(r() * p0.length));
  let worst = 0;
  for (const i of idx) {
    const p = Float64Array.from(p0);
    p[i] = p0[i] + h;
    t.setParameters(p);
    const up = (await t.lossAndGradient(T)).loss[0];
    p[i] = p0[i] - h;
    t.setParameters(p);
    const down = (await t.lossAndGradient(T)).loss[0];
    const fd = (up - down) / (2 * h);
    const err = Math.abs(fd - gradient[i]) / Math.max(1e-4, Math.abs(fd) + Math.abs(gradient[i]));
    worst = Math.max(worst, err);
  }
  t.setParameters(p0);
  t.dispose();
  assert.ok(worst < 1e-5, `worst relative gradient error ${worst}`);
}

const cases: [string, Partial<TrainerOptionsInput>][] = [
  ['IP shared, bias, classification', { selector: 'ip' }],
  ['IP shared, P=4, no bias, GJSD', { selector: 'ip', embeddingDim: 4, ipBias: false, gjsdLambda: 0.3 }],
  ['IP diag, reconstruction', { selector: 'ip', ipWeights: 'diag', task: 'reconstruction' }],
  ['IP scalar, regression, GJSD', { selector: 'ip', ipWeights: 'scalar', task: 'regression', gjsdLambda: 0.05 }],
  ['CAE, per-batch noise, GJSD, two hidden layers', { selector: 'cae', noise: 'per-batch', gjsdLambda: 0.2, hidden: [5, 4] }],
  ['CAE, linear decoder', { selector: 'cae', hidden: [] }],
  ['IP, unfused reference selection', { selector: 'ip', fusedSelection: false }],
];
for (const [name, over] of cases) {
  test(`gradients match finite differences: ${name}`, () => checkGradients(over));
}
