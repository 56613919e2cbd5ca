#!/usr/bin/env node
// ipcae <command>: run (same as ipcae-run), compare DIR…
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { main as runMain } from './run.js';
import { compareRuns, readRun } from '../report/compare.js';

export async function main(argv = process.argv): Promise<number> {
  const [cmd, ...rest] = argv.slice(2);
  if (cmd === 'run') return runMain([argv[0], 'ipcae-run', ...rest]);
  const program = new Command()
    .name('ipcae')
    .description('IP-CAE feature selection: experiments and reports')
    .exitOverride()
    .addHelpText('after', '\nCommands:\n  run [options]      train (see ipcae run --help)\n  compare <dir...>   one table over finished run directories, with the Table-3 speed-up');
  let code = 0;
  program
    .command('compare')
    .argument('<dirs...>', 'run directories (each with summary.json)')
    .option('--json', 'print JSON', false)
    .action((dirs: string[], opts: { json: boolean }) => {
      const runs = dirs.map(readRun);
      console.log(opts.json ? JSON.stringify(runs.map((r) => r.summary), null, 2) : compareRuns(runs));
    });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const err = e as { code?: string; message?: string };
    console.error(`ipcae: ${err.message ?? String(e)}`);
    code = err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1;
  }
  return code;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (c) => (process.exitCode = c),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
