// node scripts/export-prepared.mjs <dataset> <outdir> [--data-dir DIR]
// Writes a prepared dataset (docs/method.md §6 splits and scaling, as ipcae trains on it) as raw little-endian
// files for an independent implementation to read: {train,val,test}_x.f32, {train,val,test}_y.i32, meta.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'data-dir': { type: 'string' } } });
const [name, out] = positionals;
if (!name || !out) {
  console.error('usage: node scripts/export-prepared.mjs <dataset> <outdir> [--data-dir DIR]');
  process.exit(2);
}
const { loadNamedDataset, dataDir } = await import(path.join(root, 'dist/lib/datasets/registry.js'));
const d = loadNamedDataset(name, dataDir(values['data-dir']));
mkdirSync(out, { recursive: true });
for (const s of ['train', 'val', 'test']) {
  writeFileSync(path.join(out, `${s}_x.f32`), Buffer.from(d[s].x.buffer, d[s].x.byteOffset, d[s].x.byteLength));
  writeFileSync(path.join(out, `${s}_y.i32`), Buffer.from(d[s].y.buffer, d[s].y.byteOffset, d[s].y.byteLength));
}
writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ name: d.name, D: d.inputDim, classes: d.classes, rows: { train: d.indices.train.length, val: d.indices.val.length, test: d.indices.test.length } }, null, 2));
console.log(`${name}: ${d.indices.train.length}/${d.indices.val.length}/${d.indices.test.length} × ${d.inputDim} → ${out}`);
