#!/usr/bin/env node
// ipcae <command>: run (same as ipcae-run), compare, report, export, impute, data, slurm.
import { exitQuietlyOnClosedPipe } from './pipe.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { main as runMain } from './run.js';
import { slurmMain } from './slurm.js';
import { compareRuns, readRuns } from '../report/compare.js';
import { dataDir, listDatasets, prepareAndCache, loadNamedDataset, DATASET_REGISTRY } from '../datasets/registry.js';
import { readTableAsync } from '../tables/read-async.js';
import { columnPolicy } from '../tables/columns.js';
import { isWritable, writeTable, WRITABLE } from '../tables/write.js';
import { FeatureSelection } from '../select/selection.js';
import { IpcaeError } from '../errors.js';
import { fetchDataset, SOURCES } from '../datasets/fetch.js';
import { writeReport } from '../report/page.js';
import { glyphWarnings } from '../report/figures.js';
import { exportRuns, EXPORT_FORMATS, type ExportFormat } from '../report/export.js';
import { parseImageShape } from '../figures/selection-map.js';
import { packageVersion } from '../files/package-root.js';
import path from 'node:path';


/** Turns a thrown error into a message and an exit status (2 for usage errors). */
function report(prefix: string) {
  return (e: unknown): number => {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const err = e as { code?: string; message?: string };
    console.error(`${prefix}: ${err.message ?? String(e)}`);
    return err.code === 'ERR_INVALID_ARGUMENT' ? 2 : 1;
  };
}

export async function main(argv = process.argv): Promise<number> {
  const [cmd, ...rest] = argv.slice(2);
  if (cmd === 'run') return runMain([argv[0], 'ipcae-run', ...rest]);
  if (cmd === 'slurm') return slurmMain(rest).catch(report('ipcae slurm'));
  const program = new Command()
    .name('ipcae')
    .description('IP-CAE feature selection: experiments, reports and figures')
    .version(packageVersion(), '-V, --version', 'print the version of ipcae')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  ipcae run --dataset mice --data-dir ./data --seeds paper\n  ipcae compare runs/a runs/b\n  ipcae report runs/a runs/b --out report\n  ipcae export runs/a --format csv\n  ipcae data prepare coil20 --data-dir ./data',
    );
  // run and slurm parse their own flags (above); listed here so that --help names every command once.
  program.command('run').description('train a method on a dataset with a group of seeds (the same as ipcae-run; ipcae run --help)');
  program.command('slurm').description('the same experiments as Slurm job arrays: submit | status | collect | resubmit (ipcae slurm --help)');
  let code = 0;
  program
    .command('compare')
    .description('one table over finished run directories (Tables 1–2), with the Table-3 speed-up')
    .argument('<dirs...>', 'run directories, or directories with runs inside')
    .option('--json', 'print JSON', false)
    .action((dirs: string[], opts: { json: boolean }) => {
      const runs = readRuns(dirs, (u) => console.error(`ipcae compare: skipped ${u}: the run has not finished (no summary.json); run its command again to finish it`));
      console.log(opts.json ? JSON.stringify(runs.map((r) => r.summary), null, 2) : compareRuns(runs));
    });
  program
    .command('report')
    .description("the paper's figures from your runs: SVG and PNG files and a self-contained index.html")
    .argument('<dirs...>', 'run directories, or directories with runs inside')
    .option('--out <dir>', 'where to write (default <dir>/report for one directory, ./report for several)')
    .option('--image-shape <HxW>', 'your image data: H×W pixels, features row-major (the paper\'s image datasets are known)')
    .action(async (dirs: string[], o: { out?: string; imageShape?: string }) => {
      const r = await writeReport(dirs, {
        out: o.out,
        imageShape: o.imageShape !== undefined ? parseImageShape(o.imageShape) : undefined,
        onSkipped: (u) => console.error(`ipcae report: skipped ${u}: the run has not finished (no summary.json); run its command again to finish it`),
      });
      console.log(`ipcae report: ${r.runs} run(s), ${r.figures.length} figure(s) (SVG and PNG in ${path.join(r.out, 'figures')}) → ${r.page}`);
      for (const w of glyphWarnings(r.figures)) console.error(`ipcae report: warning: ${w}`);
    });
  program
    .command('export')
    .description('per-epoch metrics and selections as CSV, Parquet or JSON Lines, for pandas, R and spreadsheets')
    .argument('<dirs...>', 'run directories, or directories with runs inside')
    // Checked in the action, not by commander: a typo such as --formt is then named as unknown.
    .option('--format <format>', `${EXPORT_FORMATS.join(' | ')} (required)`)
    .option('--out <dir>', 'where to write (default <run>/export/ in each run)')
    .option('--csv-raw', "csv: write text cells as they are (by default a cell starting with = + - @ gets a leading ' so that spreadsheets do not run it as a formula)", false)
    .action((dirs: string[], o: { format?: string; out?: string; csvRaw: boolean }) => {
      if (o.format === undefined) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --format ${EXPORT_FORMATS.join(', ')}`);
      for (const r of exportRuns(dirs, o.format as ExportFormat, o.out, { formulas: o.csvRaw ? 'raw' : 'escape' })) console.log(`ipcae export: ${r.run} → ${r.files.join(', ')}`);
    });
  program
    .command('impute')
    .description('the decoder as an imputer: all D features from the K selected columns, with a saved reconstruction selector')
    .requiredOption('--selector <file>', 'a selection saved by FeatureSelection.save (fitted without a target)')
    .requiredOption('--input <file>', 'a table (Arrow IPC, Parquet, CSV/TSV) holding the selected columns')
    .requiredOption('--output <file>', `where to write all D columns: ${WRITABLE}`)
    .option('--csv-raw', "csv/tsv output: column names as they are (by default a name starting with = + - @ gets a leading ')", false)
    .action(async (o: { selector: string; input: string; output: string; csvRaw: boolean }) => {
      const sel = FeatureSelection.load(o.selector);
      if (!isWritable(o.output))
        throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --output to end in ${WRITABLE} but received ${o.output}`);
      const { table } = await readTableAsync(o.input);
      const out = await sel.reconstruct(table);
      writeTable(o.output, out, { formulas: o.csvRaw ? 'raw' : 'escape' });
      console.log(`ipcae impute: ${out.numRows} rows × ${out.numCols} features reconstructed from ${[...new Set(sel.features)].length} measured (${[...new Set(sel.features)].join(', ')}) → ${o.output}`);
    });
  const data = program.command('data').description('the datasets: list, prepare (cache as Arrow), info');
  data
    .command('list')
    .option('--data-dir <dir>', 'raw files directory (default $IPCAE_DATA or ~/.cache/ipcae)')
    .action((o: { dataDir?: string }) => {
      const dir = dataDir(o.dataDir);
      console.log(`data directory: ${dir}`);
      for (const d of listDatasets(dir)) console.log(`${d.name.padEnd(15)} raw ${d.raw ? 'yes' : 'no '}  prepared ${d.prepared ? 'yes' : 'no '}  ${d.description}`);
    });
  data
    .command('prepare')
    .argument('<name>', Object.keys(DATASET_REGISTRY).join(' | '))
    .option('--data-dir <dir>', 'raw files directory (default $IPCAE_DATA or ~/.cache/ipcae)')
    .action((name: string, o: { dataDir?: string }) => {
      const r = prepareAndCache(name, dataDir(o.dataDir));
      console.log(`${name}: ${r.dataset.indices.train.length}/${r.dataset.indices.val.length}/${r.dataset.indices.test.length} rows, ${r.dataset.inputDim} features, ${r.dataset.classes} classes → ${r.table}`);
    });
  data
    .command('fetch')
    .argument('<name>', Object.keys(SOURCES).join(' | '))
    .option('--data-dir <dir>', 'where to put the files (default $IPCAE_DATA or ~/.cache/ipcae)')
    .option('--base-url <url>', 'a mirror laid out like the public sources (default $IPCAE_DATA_URL, else the public URLs)')
    .action(async (name: string, o: { dataDir?: string; baseUrl?: string }) => {
      const r = await fetchDataset(name, dataDir(o.dataDir), { baseUrl: o.baseUrl, log: (s) => console.log(s) });
      for (const d of r.downloads)
        console.log(`${d.skipped ? 'present ' : 'fetched '} ${d.file} (${d.bytes} bytes, sha256 ${d.sha256}${d.verified ? ', verified' : ', not pinned'}${d.resumedFrom ? `, resumed at ${d.resumedFrom}` : ''})`);
      for (const f of r.extracted) console.log(`unpacked ${f}`);
      console.log(`next: ipcae data prepare ${name}${o.dataDir ? ` --data-dir ${o.dataDir}` : ''}`);
    });
  data
    .command('info')
    .argument('<name-or-file>', 'a dataset name or a table file (Arrow IPC, Parquet, CSV/TSV)')
    .option('--data-dir <dir>', 'raw files directory (default $IPCAE_DATA or ~/.cache/ipcae)')
    .action(async (what: string, o: { dataDir?: string }) => {
      if (what in DATASET_REGISTRY) {
        const d = loadNamedDataset(what, dataDir(o.dataDir));
        console.log(JSON.stringify({ name: d.name, features: d.inputDim, classes: d.classes, classNames: d.classNames, split: { train: d.indices.train.length, val: d.indices.val.length, test: d.indices.test.length }, firstFeatures: d.featureNames.slice(0, 5), sources: d.sources }, null, 2));
      } else {
        const { table: t, meta } = await readTableAsync(what);
        const columns = t.schema.fields.map((f) => {
          const p = columnPolicy(f.type);
          const use = p.kind === 'numeric' ? 'feature' : p.kind === 'category' ? 'category (exclude it, use it as the target, or --categorical onehot)' : p.kind === 'null' ? 'ignored' : 'error unless excluded';
          return { name: f.name, type: p.typeName, nulls: t.getChild(f.name)!.nullCount, use, ...(p.reason ? { reason: p.reason } : {}) };
        });
        console.log(JSON.stringify({ file: what, format: meta.format, rows: t.numRows, columns, ...(meta.dropped.length ? { dropped: meta.dropped } : {}) }, null, 2));
      }
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
  exitQuietlyOnClosedPipe();
  main().then(
    (c) => (process.exitCode = c),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
