// The package as users get it: `npm pack`, installed into a fresh ESM project and a fresh CommonJS
// project. Both import it (with types), fit a tiny table, transform, save and load. A missing addon
// is an IpcaeError whose advice works in a user's project; the install script says what it does.
// The native build itself is not repeated here: the addon this checkout built is copied in.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve('.');
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const apt = `apt-get install --no-install-recommends ${pkg.ipcae.systemPackages.join(' ')}`;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const FIT_SCRIPT = (load: string) => `${load}
const sel = await selectFeatures('table.tsv', { k: 2, target: 'label', exclude: ['id', 'score'], seeds: [1], epochs: 100, batchSize: 32, lr: 0.01 });
const narrow = sel.transform('table.tsv');
sel.save('selector.json');
const back = FeatureSelection.load('selector.json');
console.log(JSON.stringify({ features: [...sel.features].sort(), columns: narrow.schema.fields.map((f) => f.name).sort(), loaded: [...back.features].sort(), isError: new IpcaeError('ERR_DATA', 'x') instanceof Error }));
`;

// npm and the dev dependencies (typescript builds the package) are everywhere but on the GPU
// machine, where scripts/gpu-check.sh carries node and the runtime modules only.
const noPack = spawnSync(npm, ['--version'], { encoding: 'utf8' }).status !== 0 || !existsSync(path.join(repo, 'node_modules', 'typescript'))
  ? 'needs npm and the dev dependencies (typescript)'
  : false;

test('npm pack → install into an ESM and a CommonJS project: import/require with types, fit, transform, save, load', { timeout: 600_000, skip: noPack }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-pack-'));
  try {
    const pack = spawnSync(npm, ['pack', '--json', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const info = JSON.parse(pack.stdout)[0] as { filename: string; files: { path: string }[] };
    const files = info.files.map((f) => f.path);
    for (const must of ['LICENSE', 'README.md', 'CMakeLists.txt', 'native/core/trainer/trainer.cpp', 'scripts/install.mjs', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/cjs/index.cjs', 'dist/cjs/types/lib/index.d.ts', 'configs/mice/classification.yaml', 'dist/lib/tables/read-worker.js', 'lib/figures/fonts/DejaVuSans.ttf'])
      assert.ok(files.includes(must), `the tarball has ${must}`);
    for (const never of ['test/', 'dist/test/', 'docs/results/', 'docs/figures/', '.ci/', 'bench/', 'dist/bench/', 'build/'])
      assert.deepEqual(files.filter((f) => f.startsWith(never)), [], `the tarball has nothing under ${never}`);
    // the README's links resolve inside the tarball: the pages it names are in it
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
    for (const [, page] of readme.matchAll(/\]\((docs\/[a-z-]+\.md)\)/g)) assert.ok(files.includes(page), `the tarball has ${page}, which the README links`);
    const tarball = path.join(dir, info.filename);
    const addon = path.join(repo, 'build', 'Release', 'ipcae.node');

    for (const kind of ['module', 'commonjs'] as const) {
      const proj = path.join(dir, kind);
      mkdirSync(proj);
      writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: `consumer-${kind}`, version: '1.0.0', private: true, type: kind }));
      // --ignore-scripts: the native build is what install.mjs does (checked below), not repeated here
      const inst = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: proj, encoding: 'utf8' });
      assert.equal(inst.status, 0, inst.stderr);
      copyFileSync(path.join(repo, 'test', 'fixtures', 'tables', 'pandas-tab.tsv'), path.join(proj, 'table.tsv'));
      const installed = path.join(proj, 'node_modules', 'ipcae');

      // Before the addon exists: an IpcaeError with advice for a user's project
      const probe = kind === 'module' ? 'probe.mjs' : 'probe.cjs';
      writeFileSync(
        path.join(proj, probe),
        `${kind === 'module' ? "import { Trainer, preload } from 'ipcae';" : "const { Trainer, preload } = require('ipcae');"}
try { new Trainer({ inputDim: 3, k: 1, outputDim: 2 }); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
preload().catch((e) => console.log(JSON.stringify({ preload: e.code })));`,
      );
      const p = spawnSync(process.execPath, [probe], { cwd: proj, encoding: 'utf8' });
      const [first, second] = p.stdout.trim().split('\n');
      assert.deepEqual(JSON.parse(second), { preload: 'ERR_NATIVE_LOAD' }, 'preload() rejects the same way');
      const err = JSON.parse(first);
      assert.equal(err.name, 'IpcaeError');
      assert.equal(err.code, 'ERR_NATIVE_LOAD');
      assert.match(err.message, /npm rebuild ipcae/);
      assert.match(err.message, /npm install-scripts approve ipcae/);
      assert.ok(err.message.includes(apt), err.message);
      assert.doesNotMatch(err.message, /build:native/);

      // the subpaths: ipcae/experiments and ipcae/datasets, from import and from require
      const sub = kind === 'module' ? 'sub.mjs' : 'sub.cjs';
      writeFileSync(
        path.join(proj, sub),
        `${kind === 'module' ? "import { speedUp, FIT_OPTIONS } from 'ipcae/experiments';\nimport { DATASET_REGISTRY, torchRandperm } from 'ipcae/datasets';" : "const { speedUp, FIT_OPTIONS } = require('ipcae/experiments');\nconst { DATASET_REGISTRY, torchRandperm } = require('ipcae/datasets');"}
console.log(JSON.stringify({ speedUp: typeof speedUp, options: FIT_OPTIONS.map((o) => o.key).includes('temperature'), mice: 'mice' in DATASET_REGISTRY, perm: torchRandperm(5, 42).length }));`,
      );
      const subOut = spawnSync(process.execPath, [sub], { cwd: proj, encoding: 'utf8' });
      assert.deepEqual(JSON.parse(subOut.stdout.trim() || '{}'), { speedUp: 'function', options: true, mice: true, perm: 5 }, subOut.stderr);

      mkdirSync(path.join(installed, 'build', 'Release'), { recursive: true });
      copyFileSync(addon, path.join(installed, 'build', 'Release', 'ipcae.node'));
      const script = kind === 'module' ? 'fit.mjs' : 'fit.cjs';
      const body =
        kind === 'module'
          ? FIT_SCRIPT("import { selectFeatures, FeatureSelection, IpcaeError } from 'ipcae';")
          : `(async () => {\n${FIT_SCRIPT("const { selectFeatures, FeatureSelection, IpcaeError } = require('ipcae');")}})().catch((e) => { console.error(e); process.exit(1); });`;
      writeFileSync(path.join(proj, script), body);
      const r = spawnSync(process.execPath, [script], { cwd: proj, encoding: 'utf8' });
      assert.equal(r.status, 0, `${kind}: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.deepEqual(out, { features: ['température', '温度'], columns: ['température', '温度'], loaded: ['température', '温度'], isError: true }, kind);

      // Figures from the installed package: vega → SVG → PNG with the font it ships
      const draw = kind === 'module' ? 'draw.mjs' : 'draw.cjs';
      writeFileSync(
        path.join(proj, draw),
        `${kind === 'module' ? "import { renderSvg, renderPng } from 'ipcae';" : "const { renderSvg, renderPng } = require('ipcae');"}
(async () => {
  const svg = await renderSvg({ data: { values: [{ a: 'x', b: 1 }, { a: 'y', b: 2 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } } });
  const png = await renderPng(svg);
  console.log(JSON.stringify({ svg: svg.startsWith('<svg'), png: Buffer.from(png.subarray(1, 4)).toString() }));
})();`,
      );
      const d = spawnSync(process.execPath, [draw], { cwd: proj, encoding: 'utf8' });
      assert.equal(d.status, 0, `${kind}: ${d.stderr}`);
      assert.deepEqual(JSON.parse(d.stdout.trim()), { svg: true, png: 'PNG' }, kind);

      // Types: TypeScript resolves the package for `import` (.mts) and `require` (.cts)
      writeFileSync(path.join(proj, 'types.mts'), "import { selectFeatures, type FeatureSelection } from 'ipcae';\nconst p: Promise<FeatureSelection> = selectFeatures('t.csv', { k: 2 });\nvoid p;\n");
      writeFileSync(path.join(proj, 'types.cts'), "import { selectFeatures, type FeatureSelection } from 'ipcae';\nconst p: Promise<FeatureSelection> = selectFeatures('t.csv', { k: 2 });\nvoid p;\n// @ts-expect-error: k is required\nvoid selectFeatures('t.csv', {});\n");
      const tsc = spawnSync(
        process.execPath,
        [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(repo, 'node_modules', '@types'), 'types.mts', 'types.cts'],
        { cwd: proj, encoding: 'utf8' },
      );
      assert.equal(tsc.status, 0, `${kind}: tsc: ${tsc.stdout}${tsc.stderr}`);
    }

    // The install script: says what it is doing before the build, and on failure gives the one apt line
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const proj = path.join(dir, 'module');
    const s = spawnSync(process.execPath, [path.join(proj, 'node_modules', 'ipcae', 'scripts', 'install.mjs')], {
      cwd: proj,
      encoding: 'utf8',
      env: { ...process.env, PATH: bin, IPCAE_FORCE_BUILD: '1' }, // no compiler on PATH: the build fails at once
    });
    assert.notEqual(s.status, 0);
    const first = s.stderr.indexOf('ipcae: building the native addon against LibTorch');
    const failed = s.stderr.indexOf('ipcae: building the native addon failed');
    assert.ok(first >= 0 && failed > first, s.stderr);
    assert.ok(s.stderr.includes(apt), s.stderr);
    assert.match(s.stderr, /then: npm rebuild ipcae/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the system packages are named once: package.json, setup, the addon advice and the README agree', () => {
  const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
  assert.ok(readme.includes(pkg.ipcae.systemPackages.join(' ')), 'the README names the same packages in the same order');
  const setup = readFileSync(path.join(repo, 'scripts', 'setup.mjs'), 'utf8');
  assert.match(setup, /\.ipcae;|systemPackages/);
  assert.doesNotMatch(setup, /'libtorch-dev'\)/, 'setup.mjs takes the list from package.json');
});
