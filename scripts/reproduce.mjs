// npm run reproduce -- --dataset mice [--data-dir DIR] [--tasks classification,reconstruction] [--no-save]
// Reruns one dataset's block of the results table (4 methods × 2 tasks by default; --methods stg,lassonet
// for the baselines; the ten published seeds, 200 epochs) with ipcae-run, then prints it beside the paper's numbers. Runs go to runs/repro/;
// the small files of each (summary.json/.md, config.json, metrics.arrow, feature-means.json) are
// kept under docs/results/runs/<dataset>-<task>/<method>/, where `ipcae report` draws from them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
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
    'no-save': { type: 'boolean', default: false },
  },
});
const { readRun } = await import(path.join(root, 'dist/lib/report/compare.js'));
const { resultRows } = await import(path.join(root, 'dist/lib/report/results.js'));
const summaries = [];
for (const task of values.tasks.split(',')) {
  const out = path.join(root, 'runs', 'repro', `${values.dataset}-${task}`);
  for (const m of values.methods.split(',')) {
    // one ipcae-run per method, each into <out>/<method> (also when only one method is asked for)
    const args = [path.join(root, 'dist/lib/cli/run.js'), '--dataset', values.dataset, '--task', task, '--data-dir', values['data-dir'],
      '--method', m, '--seeds', values.seeds, '--epochs', values.epochs, '--out', path.join(out, m), '--quiet'];
    const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
    summaries.push(readRun(path.join(out, m)).summary);
    if (values['no-save']) continue;
    const keep = path.join(root, 'docs', 'results', 'runs', `${values.dataset}-${task}`, m);
    mkdirSync(keep, { recursive: true });
    for (const f of ['summary.json', 'summary.md', 'config.json', 'metrics.arrow', 'feature-means.json'])
      if (existsSync(path.join(out, m, f))) copyFileSync(path.join(out, m, f), path.join(keep, f));
  }
}
if (!values['no-save']) console.log(`kept: docs/results/runs/${values.dataset}-*/ (ipcae report docs/results/runs/${values.dataset}-classification draws them)`);
console.log('\n' + resultRows(summaries, `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} (CPU)`));
