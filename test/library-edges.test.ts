// The library's edges: wrong argument types are IpcaeErrors (never a TypeError), and a saved
// selection is checked whole, naming the bad field, before it is used.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeatureSelection, IpcaeError, Trainer, selectFeatures } from '../lib/index.js';
import { pipelineTable } from './helpers.js';

const isInvalid = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof IpcaeError, `expected an IpcaeError, got ${String(e)}`);
  assert.equal(e.code, 'ERR_INVALID_ARGUMENT', e.message);
  assert.match(e.message, pattern);
  return true;
};

test('wrong argument types are IpcaeErrors that say what was expected', async () => {
  const t = pipelineTable(50, 2);
  await assert.rejects(selectFeatures(42 as never, { k: 2 }), isInvalid(/Expected the table to be a file path .*an apache-arrow Table, an array of row objects, an object of columns .* but received 42/));
  await assert.rejects(selectFeatures(t, undefined as never), isInvalid(/an object with at least k for options but received undefined/));
  await assert.rejects(selectFeatures(t, 5 as never), isInvalid(/for options but received 5/));
  await assert.rejects(selectFeatures(t, {} as never), isInvalid(/options\.k/));
  assert.throws(() => new Trainer(42 as never), isInvalid(/object for options/));
  assert.throws(() => FeatureSelection.load(42 as never), isInvalid(/path to a saved selection for file but received 42/));
});

test('a saved selection is validated whole and the bad field is named', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-edges-'));
  try {
    const sel = await selectFeatures(pipelineTable(120, 3), { k: 2, target: 'label', exclude: ['id'], epochs: 2 });
    const file = path.join(dir, 'sel.json');
    sel.save(file);
    assert.deepEqual(FeatureSelection.load(file).toJSON(), sel.toJSON());
    assert.throws(() => sel.transform(42 as never), isInvalid(/an apache-arrow Table, an array of row objects, an object of columns .* but received 42/));
    const good = JSON.parse(readFileSync(file, 'utf8'));
    const cases: [string, unknown, RegExp][] = [
      ['format only', { format: 'ipcae-selection-v1' }, /not a valid saved selection: .*for task/],
      ['an index past D', { ...good, indices: [0, 99] }, /index below the 6 input features for indices\[1\]/],
      ['names that disagree with the indices', { ...good, features: [good.features[1], good.features[0]] }, /for features\[0\]/],
      ['k names missing', { ...good, features: [good.features[0]] }, /k = 2 names for features/],
      ['a short scaling', { ...good, scaling: { ...good.scaling, offset: [0] } }, /6 values .* for scaling\.offset/],
      ['an unknown key', { ...good, extra: 1 }, /Unknown key 'extra'/],
      ['a classification without classes', { ...good, classes: undefined }, /class names .* for classes/],
    ];
    for (const [what, data, pattern] of cases) {
      writeFileSync(file, JSON.stringify(data));
      assert.throws(() => FeatureSelection.load(file), isInvalid(pattern), what);
    }
    writeFileSync(file, '{"format":');
    assert.throws(() => FeatureSelection.load(file), isInvalid(/Cannot read a saved selection/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
