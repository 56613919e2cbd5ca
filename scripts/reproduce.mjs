// npm run reproduce -- --dataset mice [--data-dir DIR] [--tasks classification,reconstruction]
// Reruns one dataset's block of the results table (4 methods × 2 tasks, the ten published seeds,
// 200 epochs) with ipcae-run, then prints it beside the paper's numbers. Runs go to runs/repro/.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'mice' },
    'data-dir': { type: 'string', default: process.env.IPCAE_DATA ?? path.resolve(root, '..', 'shared', 'datasets') },
    tasks: { type: 'string', default: 'classification,reconstruction' },
    methods: { type: 'string', default: 'cae,cae-gjsd,ip-cae,ip-cae-gjsd' },
    seeds: { type: 'string', default: 'paper' },
    epochs: { type: 'string', default: '200' },
  },
});
const { readRun } = await import(path.join(root, 'dist/lib/report/compare.js'));
const { resultRows } = await import(path.join(root, 'dist/lib/report/results.js'));
const summaries = [];
for (const task of values.tasks.split(',')) {
  const out = path.join(root, 'runs', 'repro', `${values.dataset}-${task}`);
  const args = [path.join(root, 'dist/lib/cli/run.js'), '--dataset', values.dataset, '--task', task, '--data-dir', values['data-dir'],
    '--methods', values.methods, '--seeds', values.seeds, '--epochs', values.epochs, '--out', out, '--quiet'];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  for (const m of values.methods.split(',')) summaries.push(readRun(path.join(out, m)).summary);
}
console.log('\n' + resultRows(summaries, `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} (CPU)`));
