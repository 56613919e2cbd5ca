// npm run reproduce -- --dataset mice [--data-dir DIR] [--tasks classification,reconstruction] [--no-save] [--verbose]
// Reruns one dataset's block of the results table (4 methods × 2 tasks by default; --methods stg,lassonet
// for the baselines; the ten published seeds, 200 epochs) with ipcae-run, then prints it beside the paper's numbers. Runs go to runs/repro/;
// the small files of each (summary.json/.md, config.json, metrics.arrow, feature-means.json) are
// kept under docs/results/runs/<dataset>-<task>/<method>/, where `ipcae report` draws from them.
// A killed run resumes where it was when the same command is run again (ipcae-run's run directories).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const usage = `usage: npm run reproduce -- [options]
  --dataset <name>   mice | coil20 | isolet | mnist | fashion-mnist | har (default: mice)
  --data-dir <dir>   the raw dataset files (default: $IPCAE_DATA or ../shared/datasets)
  --tasks <list>     classification,reconstruction (default: both)
  --methods <list>   cae,cae-gjsd,ip-cae,ip-cae-gjsd (default); stg,lassonet for the baselines
  --seeds <list>     comma-separated seeds, or 'paper' (default: paper)
  --epochs <n>       training epochs (default: 200)
  --no-save          do not copy the results under docs/results/runs/
  --verbose          ipcae-run's progress (rounds, path, epochs) instead of its result line only
  --help             this text`;
let values;
try {
  ({ values } = parseArgs({
    options: {
      dataset: { type: 'string', default: 'mice' },
      'data-dir': { type: 'string', default: process.env.IPCAE_DATA ?? path.resolve(root, '..', 'shared', 'datasets') },
      tasks: { type: 'string', default: 'classification,reconstruction' },
      methods: { type: 'string', default: 'cae,cae-gjsd,ip-cae,ip-cae-gjsd' },
      seeds: { type: 'string', default: 'paper' },
      epochs: { type: 'string', default: '200' },
      'no-save': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  console.error(`reproduce: ${e.message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const tasks = values.tasks.split(',').map((t) => t.trim());
for (const t of tasks)
  if (!['classification', 'reconstruction'].includes(t)) {
    console.error(`reproduce: --tasks: expected classification and/or reconstruction but received '${t}'\n${usage}`);
    process.exit(2);
  }
const { readRun } = await import(path.join(root, 'dist/lib/report/compare.js'));
const { resultRows } = await import(path.join(root, 'dist/lib/report/results.js'));
const summaries = [];
for (const task of tasks) {
  const out = path.join(root, 'runs', 'repro', `${values.dataset}-${task}`);
  for (const m of values.methods.split(',')) {
    // one ipcae-run per method, each into <out>/<method> (also when only one method is asked for)
    const args = [path.join(root, 'dist/lib/cli/run.js'), '--dataset', values.dataset, '--task', task, '--data-dir', values['data-dir'],
      '--method', m, '--seeds', values.seeds, '--epochs', values.epochs, '--out', path.join(out, m), ...(values.verbose ? [] : ['--quiet'])];
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
