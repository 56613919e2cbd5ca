import test from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, type TrainerOptionsInput } from '../lib/index.js';
import { normRelativeError, synthetic, splitData, rng } from './helpers.js';

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
  ['IP shared, per-batch noise (the selection as matrix products), reconstruction', { selector: 'ip', noise: 'per-batch', task: 'reconstruction' }],
];
for (const [name, over] of cases) {
  test(`gradients match finite differences: ${name}`, () => checkGradients(over));
}

test('per-batch noise: the matrix-product path equals the float64 reference (values and gradients)', async () => {
  const D = 9;
  const { x, y } = synthetic({ rows: 40, d: D, classes: 3, seed: 4 });
  const make = (fusedSelection: boolean) =>
    new Trainer({ inputDim: D, k: 4, outputDim: 3, hidden: [6], batchSize: 8, seeds: [3, 5], dtype: 'float64', threads: 1, noise: 'per-batch', fusedSelection });
  const fast = make(true);
  const ref = make(false);
  try {
    await fast.setData(splitData(x, y, D, 24, 8));
    await ref.setData(splitData(x, y, D, 24, 8));
    for (const T of [2, 0.5, 0.05]) {
      const a = await fast.lossAndGradient(T);
      const b = await ref.lossAndGradient(T);
      for (let r = 0; r < 2; r++) assert.ok(Math.abs(a.loss[r] - b.loss[r]) <= 1e-12 * Math.max(1, Math.abs(b.loss[r])), `T ${T}: loss ${a.loss[r]} vs ${b.loss[r]}`);
      const rel = normRelativeError(a.gradient, b.gradient);
      assert.ok(rel < 1e-12, `T ${T}: ‖Δgradient‖ / ‖gradient‖ = ${rel}`);
    }
    // and in training: the same parameters after a few epochs (float64, one thread)
    await fast.fit({ epochs: 3 });
    await ref.fit({ epochs: 3 });
    const pa = fast.getParameters(),
      pb = ref.getParameters();
    let worst = 0;
    for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
    assert.ok(worst < 1e-9, `parameters after 3 epochs differ by ${worst}`);
  } finally {
    fast.dispose();
    ref.dispose();
  }
});
