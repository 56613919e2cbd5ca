// npm run bench -- --cases baselines [--data-dir DIR]
// The budget (docs/perf.md, Baselines): a 10-seed STG or LassoNet run on Mice Protein (the paper's protocol: λ for
// K = 10, then the retrained MLP) in under 30 s on the 2-core development machine. Runs each
// method once per task into a temporary directory and prints seconds per run beside the budget.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadExperimentConfig, defaultConfigFile } from '../lib/config/experiment.js';
import { loadNamedDataset } from '../lib/datasets/registry.js';
import { runExperiment } from '../lib/experiment/run.js';

export async function baselinesCase(dataDir: string, tasks = ['classification', 'reconstruction']): Promise<string[]> {
  if (!existsSync(path.join(dataDir, 'mice-protein')) && !existsSync(path.join(dataDir, 'mice')))
    return [`baselines: no Mice Protein files under ${dataDir} (--data-dir): skipped`];
  const data = loadNamedDataset('mice', dataDir);
  const lines = ['| method | task | seeds | seconds (whole run) | budget | stages | result |', '|---|---|---|---|---|---|---|'];
  for (const task of tasks)
    for (const method of ['stg', 'lassonet'] as const) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-bench-baselines-'));
      try {
        const cfg = loadExperimentConfig(defaultConfigFile('mice', task), { method });
        let stages = 0;
        const t0 = performance.now();
        const s = await runExperiment(cfg, data, dir, { onStage: () => void stages++ });
        const seconds = (performance.now() - t0) / 1000;
        const value = s.metric === 'accuracy' ? `${s.mean.toFixed(2)} %` : s.mean.toExponential(2);
        const exact = s.seeds.filter((x) => x.baseline?.exact).length;
        lines.push(
          `| ${method} | ${task} | ${s.seeds.length} | ${seconds.toFixed(1)} | 30 | ${method === 'stg' ? `${stages} search rounds` : 'path'} | ${value}; ${exact}/${s.seeds.length} seeds exactly K |`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  return lines;
}
