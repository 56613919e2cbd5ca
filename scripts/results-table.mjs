// Rebuilds the table of docs/results.md from the summary.json files kept under docs/results/
// (no training): node scripts/results-table.mjs [--machine "..."]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'docs', 'results');
const { resultRows } = await import(path.join(root, 'dist/lib/report/results.js'));
const order = { mice: 0, coil20: 1, isolet: 2 };
const methods = { cae: 0, 'cae-gjsd': 1, 'ip-cae': 2, 'ip-cae-gjsd': 3, stg: 4, lassonet: 5 };
const summaries = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')))
  .sort((a, b) => (order[a.dataset] ?? 9) - (order[b.dataset] ?? 9) || a.task.localeCompare(b.task) || (methods[a.method] ?? 9) - (methods[b.method] ?? 9));
const machine = process.argv.includes('--machine') ? process.argv[process.argv.indexOf('--machine') + 1] : 'CPU, 2 cores (AMD EPYC)';
console.log(resultRows(summaries, machine));
