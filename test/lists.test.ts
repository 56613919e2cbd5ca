// Lists and numbers on the command line: what a typo makes of a value is a usage error (exit 2)
// naming the flag, never a silent default (an empty seed item was seed 0, '' threads was 0).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { hiddenFlag, intFlag, listFlag, numberFlag, seedsFlag } from '../lib/config/flags.js';
import { PAPER_SEEDS, parseSeedList } from '../lib/index.js';

const refuses = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && pattern.test(e.message));

test('seed lists: empty items, trailing commas, repeats, non-integers and negatives are refused', () => {
  const seeds = seedsFlag('--seeds');
  assert.deepEqual(seeds('11,22, 33'), [11, 22, 33]);
  assert.deepEqual(seeds('paper'), PAPER_SEEDS);
  for (const bad of ['11,,22', '11,', ',11', '', '11,11', '1.5', '-1', 'x', '1e3', '0x10'])
    refuses(() => seeds(bad), /--seeds but received/);
  assert.throws(() => parseSeedList('3,3'), /a seed appears twice/);
});

test('integers and numbers: digits only for integers, finite values for numbers', () => {
  const k = intFlag('--k', 1);
  assert.equal(k('50'), 50);
  for (const bad of ['', ' ', '0', '1.5', '2e1', 'ten', '9007199254740993']) refuses(() => k(bad), /integer >= 1 for --k/);
  assert.equal(intFlag('--threads', 0)('0'), 0);
  refuses(() => intFlag('--threads', 0)(''), /--threads but received ''/);
  const lr = numberFlag('--lr');
  assert.equal(lr('1e-3'), 1e-3);
  for (const bad of ['', '0', '-1', 'abc', 'Infinity', 'NaN']) refuses(() => lr(bad), /positive number for --lr/);
  assert.equal(numberFlag('--gjsd-lambda', { orZero: true })('0'), 0);
});

test('name lists: no empty item, no repeat, only known values', () => {
  const m = listFlag('--methods', ['cae', 'ip-cae']);
  assert.deepEqual(m('cae, ip-cae'), ['cae', 'ip-cae']);
  refuses(() => m('cae,,ip-cae'), /without empty items for --methods/);
  refuses(() => m('cae,'), /without empty items/);
  refuses(() => m('cae,cae'), /'cae' appears twice/);
  refuses(() => m('cae,lasso'), /cae, ip-cae for --methods but received 'lasso'/);
  refuses(() => listFlag('--exclude')('id,,label'), /--exclude/);
  const h = hiddenFlag('--hidden');
  assert.deepEqual(h(''), []);
  assert.deepEqual(h('200,100'), [200, 100]);
  for (const bad of ['200,', '0', '1.5', 'x']) refuses(() => h(bad), /positive integers .* for --hidden/);
});

test('the CLI exits 2 and names the flag', () => {
  const cli = path.resolve('dist/lib/cli/run.js');
  for (const [args, flag] of [
    [['--seeds', '11,,22'], '--seeds'],
    [['--seeds', '11,'], '--seeds'],
    [['--methods', 'cae,cae'], '--methods'],
    [['--threads', ''], '--threads'],
  ] as const) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(flag), r.stderr);
  }
  const s = spawnSync(process.execPath, [path.resolve('dist/lib/cli/ipcae.js'), 'slurm', 'submit', '--dataset', 'mice,,isolet', '--time', '1:00:00', '--dry-run'], { encoding: 'utf8' });
  assert.equal(s.status, 2, s.stderr);
  assert.match(s.stderr, /without empty items for --dataset/);
});
