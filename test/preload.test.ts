// LibTorch starts off the event loop: preload() loads it on a worker thread first (this file runs in
// its own process, so the addon is not loaded before the test).
import test from 'node:test';
import assert from 'node:assert/strict';
import { capabilities, preload } from '../lib/index.js';
import { countLoopTurns } from './helpers.js';

test('preload() loads LibTorch on a worker thread: the event loop keeps running, and the addon is ready after', async () => {
  const turns = countLoopTurns();
  await preload();
  const ticks = turns.stop();
  // A load on this thread would run LibTorch's start-up in one piece: one tick at most around it.
  assert.ok(ticks >= 20, `the event loop ran ${ticks} times while LibTorch loaded`);
  assert.match(capabilities().torchVersion, /^\d+\.\d+/);
  await preload(); // a second call is immediate and harmless
});
