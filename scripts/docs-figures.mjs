// The figures of docs/results.md, drawn with ipcae's own report code from what the repository keeps
// (no training): node scripts/docs-figures.mjs  → docs/figures/*.svg|png
// - the Figure-5 analogues: validation curves of the four methods, from the runs kept under
//   docs/results/runs/ by `npm run reproduce` (metrics.arrow beside each summary);
// - the selection maps of the COIL-20 and embedded-MNIST IP-CAE runs kept there;
// - the Figure-6 analogue: ISOLET classification, test accuracy against decoder depth, from the ten
//   seeds' results in docs/results/ (depth 1: the main table's cells; 0 and 2: isolet-extra/).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { readRuns } = await import(path.join(root, 'dist/lib/report/compare.js'));
const { planReport, drawFigures } = await import(path.join(root, 'dist/lib/report/figures.js'));
const results = path.join(root, 'docs', 'results');
const out = path.join(root, 'docs', 'figures');
mkdirSync(out, { recursive: true });
const written = [];

async function draw(dirs, pick, rename = (n) => n) {
  const present = dirs.filter((d) => existsSync(d));
  if (!present.length) return console.error(`skipped (not kept yet): ${dirs.map((d) => path.relative(root, d)).join(', ')}`);
  const plan = planReport(readRuns(present));
  const figures = plan.figures.map((f) => f.figure).filter((f) => pick(f.name)).map((f) => ({ ...f, name: rename(f.name) }));
  for (const d of await drawFigures(figures, out)) written.push(path.relative(root, d.pngFile));
}

const kept = (name) => path.join(results, 'runs', name);
for (const block of ['mice-classification', 'mice-reconstruction', 'coil20-classification']) await draw([kept(block)], (n) => n.endsWith('-curves'));
await draw([kept('coil20-classification')], (n) => /^coil20-classification-ip-cae-selection-map$/.test(n));
await draw([kept('mnist-embedded-classification')], (n) => n.endsWith('-selection-map'));

// ISOLET decoder depth: each kept summary with the configuration it was run with (configs/isolet/classification.yaml and --hidden).
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ipcae-docs-figures-'));
try {
  const base = parseYaml(readFileSync(path.join(root, 'configs', 'isolet', 'classification.yaml'), 'utf8'));
  const cells = [
    ['isolet-extra/isolet-depth0-cae.json', 'cae', []],
    ['isolet-classification-cae.json', 'cae', [200]],
    ['isolet-extra/isolet-depth2-cae.json', 'cae', [200, 200]],
    ['isolet-extra/isolet-depth0-ip-cae.json', 'ip-cae', []],
    ['isolet-classification-ip-cae.json', 'ip-cae', [200]],
    ['isolet-extra/isolet-depth2-ip-cae.json', 'ip-cae', [200, 200]],
  ];
  for (const [file, method, hidden] of cells) {
    const dir = path.join(tmp, 'isolet-depth', `${method}-depth${hidden.length}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'summary.json'), readFileSync(path.join(results, file)));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ experiment: { ...base, method, decoder: { ...base.decoder, hidden } }, trainer: { inputDim: 617 } }));
  }
  await draw([path.join(tmp, 'isolet-depth')], (n) => n.includes('-sweep-'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(written.map((f) => `wrote ${f}`).join('\n'));
