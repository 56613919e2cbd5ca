import test from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, IpcaeError } from '../lib/index.js';
import { synthetic, splitData, tinyTrainer } from './helpers.js';

async function mediumTrainer(seeds = [1]) {
  const D = 200;
  const { x, y } = synthetic({ rows: 1200, d: D, classes: 4, seed: 2 });
  const t = new Trainer({ inputDim: D, k: 20, outputDim: 4, batchSize: 32, seeds, hidden: [32] });
  await t.setData(splitData(x, y, D, 1000, 100));
  return t;
}

test('training runs off the JS thread: a timer keeps firing while it trains', async () => {
  const t = await mediumTrainer();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const epochs: number[] = [];
  const start = Date.now();
  await t.fit({ epochs: 8, onEpoch: (m) => epochs.push(m.epoch) });
  const elapsed = Date.now() - start;
  clearInterval(timer);
  t.dispose();
  assert.deepEqual(epochs, [0, 1, 2, 3, 4, 5, 6, 7]);
  // A blocked loop would give 0-1 ticks. Demand a fair share of the ideal count.
  assert.ok(ticks >= Math.min(10, elapsed / 5 / 4), `only ${ticks} timer ticks in ${elapsed} ms of training`);
});

test('AbortSignal cancels between steps and leaves the trainer at the last completed epoch', async () => {
  const t = await mediumTrainer();
  const ac = new AbortController();
  await assert.rejects(
    t.fit({ epochs: 50, signal: ac.signal, onEpoch: (m) => m.epoch === 1 && ac.abort() }),
    (e: unknown) => e instanceof IpcaeError && e.code === 'ERR_CANCELLED',
  );
  const at = t.info().epoch;
  assert.ok(at >= 2 && at < 50, `stopped at epoch ${at}`);
  // cancelled state is exactly a boundary: continuing equals an uninterrupted run
  const state = await t.saveState();
  await t.fit({ epochs: 50, until: at + 1 });
  const continued = t.getParameters();
  t.dispose();
  const u = await mediumTrainer();
  await u.fit({ epochs: 50, until: at + 1 });
  assert.deepEqual(u.getParameters(), continued);
  u.dispose();
  assert.ok(state.length > 0);
  const pre = new AbortController();
  pre.abort();
  const v = await tinyTrainer();
  await assert.rejects(v.fit({ epochs: 2, signal: pre.signal }), (e: unknown) => (e as IpcaeError).code === 'ERR_CANCELLED');
  v.dispose();
});

test('one job at a time per trainer (ERR_BUSY); disposed trainers refuse work (ERR_DISPOSED)', async () => {
  const t = await mediumTrainer();
  const running = t.fit({ epochs: 3 });
  await assert.rejects(t.fit({ epochs: 3 }), (e: unknown) => (e as IpcaeError).code === 'ERR_BUSY');
  assert.throws(() => t.dispose(), (e: unknown) => (e as IpcaeError).code === 'ERR_BUSY');
  await running;
  t.dispose();
  await assert.rejects(t.fit({ epochs: 1 }), (e: unknown) => (e as IpcaeError).code === 'ERR_DISPOSED');
  assert.throws(() => t.getParameters(), (e: unknown) => (e as IpcaeError).code === 'ERR_DISPOSED');
});

test('an exception thrown by the progress callback stops training and rejects with it', async () => {
  const t = await mediumTrainer();
  await assert.rejects(
    t.fit({
      epochs: 20,
      onEpoch: () => {
        throw new Error('callback failed');
      },
    }),
    /callback failed/,
  );
  assert.ok(t.info().epoch < 20);
  assert.equal(t.info().busy, false);
  t.dispose();
});

test('input arrays are copied once: changing them after setData changes nothing', async () => {
  const D = 12;
  const { x, y } = synthetic({ rows: 96, d: D, classes: 3, seed: 5 });
  const data = splitData(x, y, D, 64, 16);
  const run = async (mutate: boolean) => {
    const t = new Trainer({ inputDim: D, k: 3, outputDim: 3, hidden: [8], batchSize: 16, seeds: [2] });
    await t.setData(data);
    if (mutate) (data.train.x as Float32Array).fill(0);
    const r = await t.fit({ epochs: 2 });
    t.dispose();
    return r.replicas[0];
  };
  const a = await run(false);
  const b = await run(true);
  assert.deepEqual(a, b);
});
