// The shape of the code, checked: no module imports from a layer above it, the trainer's options
// are one definition that the addon follows exactly, and the map (docs/architecture.md) names every piece.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadNative } from '../bindings/index.js';
import { TRAINER_OPTION_KEYS, resolveTrainerOptions } from '../lib/train/options.js';

const root = path.resolve('.');

/** Bottom to top. A module may import from its own unit and from units on lower layers only. */
const LAYERS: string[][] = [
  ['bindings'],
  ['lib/errors.ts'],
  ['lib/validate.ts', 'lib/task.ts', 'lib/files', 'lib/stats'],
  ['lib/train', 'lib/baselines'],
  ['lib/tables'],
  ['lib/datasets'],
  ['lib/config'],
  ['lib/fit'],
  ['lib/select', 'lib/experiment'],
  ['lib/figures'],
  ['lib/report'],
  ['lib/slurm'],
  ['lib/cli'],
  ['lib/index.ts', 'lib/entries'],
];

function unitOf(file: string): { unit: string; layer: number } | undefined {
  const rel = path.relative(root, file).split(path.sep).join('/');
  for (const [layer, units] of LAYERS.entries())
    for (const unit of units) if (rel === unit || rel.startsWith(unit + '/')) return { unit, layer };
  return undefined;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative import specifiers of TypeScript source (static, dynamic and type-only imports). */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
}

/** Violations of the layering in one file's text: 'a.ts (unit) imports spec (unit): a layer above its own'. */
function violationsIn(file: string, text: string): string[] {
  const rel = path.relative(root, file);
  const from = unitOf(file);
  if (!from) return [`${rel} is in no layer: add its folder to LAYERS (and to the map in docs/architecture.md)`];
  const bad: string[] = [];
  for (const spec of importsOf(text)) {
    const to = unitOf(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
    if (!to) bad.push(`${rel} imports ${spec}, which is in no layer`);
    else if (to.unit !== from.unit && to.layer >= from.layer)
      bad.push(`${rel} (${from.unit}) imports ${spec} (${to.unit}): a layer ${to.layer === from.layer ? 'beside' : 'above'} its own`);
  }
  return bad;
}

const libFiles = () => [...sources(path.join(root, 'lib')), ...sources(path.join(root, 'bindings'))];

test('no module imports from a layer above its own (nor from a sibling unit on its layer)', () => {
  assert.deepEqual(libFiles().flatMap((f) => violationsIn(f, readFileSync(f, 'utf8'))), []);
});

test('the layering check names an upward or sideways import', () => {
  const train = path.join(root, 'lib', 'train', 'fake.ts');
  const up = violationsIn(train, "import { runExperiment } from '../experiment/run.js';\nimport { IpcaeError } from '../errors.js';\n");
  assert.equal(up.length, 1, up.join('\n'));
  assert.match(up[0], /lib\/train\/fake\.ts \(lib\/train\) imports \.\.\/experiment\/run\.js \(lib\/experiment\): a layer above its own/);
  const sideways = violationsIn(path.join(root, 'lib', 'select', 'x.ts'), "import type { Summary } from '../experiment/summary.js';");
  assert.match(sideways[0] ?? '', /a layer beside its own/);
  assert.match(violationsIn(path.join(root, 'lib', 'newfolder', 'x.ts'), '')[0] ?? '', /is in no layer/);
});

test("the addon takes exactly the baselines' options of their one definition", async () => {
  const { nativeBaselineOptions } = await import('../lib/baselines/options.js');
  const addon = loadNative();
  const js = Object.keys(nativeBaselineOptions({ task: 'classification', inputDim: 3, outputDim: 2, seeds: [1] }));
  assert.deepEqual([...addon.baselineOptionKeys].sort(), js.sort());
});

test('the addon takes exactly the options of the one schema', () => {
  const addon = loadNative();
  assert.deepEqual([...addon.trainerOptionKeys], [...TRAINER_OPTION_KEYS]);
  const resolved = resolveTrainerOptions({ inputDim: 6, k: 2, outputDim: 2 });
  assert.deepEqual(Object.keys(resolved).sort(), [...TRAINER_OPTION_KEYS].sort(), 'resolved options carry every key');
  // an option the addon does not know is refused, never dropped
  assert.throws(() => new addon.Trainer({ ...resolved, epochz: 3 }), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /Unknown trainer option 'epochz'/.test(e.message));
  // a missing one is refused, never defaulted in C++
  const { dropout, ...withoutDropout } = resolved;
  assert.equal(dropout, 0);
  assert.throws(() => new addon.Trainer(withoutDropout), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /'dropout'/.test(e.message));
  const t = new addon.Trainer(resolved);
  t.dispose();
});

test("the architecture page's map names every folder of lib/ and every native source file", () => {
  const readme = readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
  const start = readme.indexOf('## How it is built');
  assert.ok(start >= 0, "docs/architecture.md has a section '## How it is built'");
  const map = readme.slice(start, readme.indexOf('\n## ', start + 5) >>> 0 || undefined);
  const missing: string[] = [];
  for (const d of readdirSync(path.join(root, 'lib'))) {
    const name = statSync(path.join(root, 'lib', d)).isDirectory() ? `lib/${d}/` : `lib/${d}`;
    if (!map.includes(name)) missing.push(name);
  }
  // native/core is grouped by family (trainer/, selection/ with cuda/, baselines/, platform/): every
  // folder and every source file is in the map, and no source lies loose in native/core itself
  const walk = (dir: string): string[] =>
    readdirSync(path.join(root, dir)).flatMap((f) => (statSync(path.join(root, dir, f)).isDirectory() ? [`${dir}/${f}/`, ...walk(`${dir}/${f}`)] : [`${dir}/${f}`]));
  for (const f of walk('native')) {
    if (f.endsWith('/')) {
      if (f.startsWith('native/core/') && !map.includes(f.slice('native/core/'.length))) missing.push(f);
    } else if (/\.(cpp|h|cu)$/.test(f) && !map.includes(path.basename(f).replace(/\.(cpp|h|cu)$/, ''))) missing.push(f);
  }
  assert.deepEqual(readdirSync(path.join(root, 'native', 'core')).filter((f) => /\.(cpp|h)$/.test(f)), [], 'sources loose in native/core');
  assert.deepEqual(missing, []);
});
