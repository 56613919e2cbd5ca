// The CommonJS face of the package: dist/lib (ESM, from tsc) bundled by esbuild into
// dist/cjs/index.cjs, experiments.cjs and datasets.cjs (dependencies stay external), with the ESM declarations copied into a
// "type": "commonjs" folder so that TypeScript types `require('ipcae')` too.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'cjs');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// The main entry and the two subpaths (ipcae/experiments, ipcae/datasets), one bundle each.
for (const [entry, file] of [['index.js', 'index.cjs'], ['entries/experiments.js', 'experiments.cjs'], ['entries/datasets.js', 'datasets.cjs']])
await build({
  entryPoints: [path.join(root, 'dist', 'lib', entry)],
  outfile: path.join(out, file),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  // import.meta.url of the bundle: every use in lib/ is "where is this file" (the package root is found from it).
  define: { 'import.meta.url': '__ipcae_import_meta_url' },
  banner: { js: "const __ipcae_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
const copyDts = (from, to) => {
  for (const f of readdirSync(from)) {
    const p = path.join(from, f);
    if (statSync(p).isDirectory()) copyDts(p, path.join(to, f));
    else if (f.endsWith('.d.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(p, path.join(to, f));
    }
  }
};
copyDts(path.join(root, 'dist', 'lib'), path.join(out, 'types', 'lib'));
copyDts(path.join(root, 'dist', 'bindings'), path.join(out, 'types', 'bindings'));
writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
console.error('ipcae: built dist/cjs (CommonJS bundle and types)');
