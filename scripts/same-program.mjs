// node scripts/same-program.mjs --against <other built checkout> [--keep DIR]
//
// Is a refactor the same program? Runs the same small jobs with this checkout and another (built)
// one and compares what they wrote: three ten-seed Mice runs (IP-CAE classification with the
// retrained MLP, CAE reconstruction — distinct selections beside it —, STG classification), and
// library calls (a Parquet fixture, regression, classification with distinct selections and a
// finetune, the faithful selection, STG, LassoNet, a K sweep). Parameter and selection files must be
// byte-identical, every JSON equal apart from timing fields, metrics.arrow equal apart from seconds.
// Needs the Mice Protein file (IPCAE_DATA, default ../shared/datasets). Exit status 1 on a difference.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tableFromIPC } from 'apache-arrow';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { against: { type: 'string' }, keep: { type: 'string' }, 'lib-calls': { type: 'string' } }, allowPositionals: true });
if (args['lib-calls']) {
  await libCalls(args['lib-calls'], process.argv[process.argv.length - 1]);
  process.exit(0);
}
if (!args.against) {
  console.error('usage: node scripts/same-program.mjs --against <other built checkout> [--keep DIR]');
  process.exit(2);
}
const data = process.env.IPCAE_DATA ?? path.resolve(here, '..', 'shared', 'datasets');
const work = args.keep ?? mkdtempSync(path.join(os.tmpdir(), 'ipcae-same-'));

function jobs(root, out) {
  const cli = (extra, dir) => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist/lib/cli/run.js'), '--dataset', 'mice', '--quiet', '--no-figures', '--out', path.join(out, dir), ...extra], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, IPCAE_DATA: data },
    });
    if (r.status !== 0) throw new Error(`${root}: ${dir} failed: ${r.stderr}`);
  };
  cli(['--task', 'classification', '--method', 'ip-cae', '--epochs', '30', '--seeds', 'paper', '--retrain', '--retrain-epochs', '5'], 'mice-ipcae');
  cli(['--task', 'reconstruction', '--method', 'cae', '--epochs', '30', '--seeds', 'paper'], 'mice-cae');
  cli(['--task', 'classification', '--method', 'stg', '--epochs', '20', '--seeds', 'paper', '--retrain-epochs', '5'], 'mice-stg');
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--lib-calls', root, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${root}: library calls failed: ${r.stderr}`);
}

async function libCalls(root, out) {
  const { selectFeatures, sweepK } = await import(path.join(root, 'dist/lib/index.js'));
  const plain = (d) => JSON.parse(JSON.stringify(d));
  const r = {};
  r.parquet = plain((await selectFeatures(path.join(here, 'test/fixtures/tables/pyarrow-default.parquet'), { k: 2, epochs: 20, seeds: [1, 2, 3], target: 'label', exclude: ['id'] })).data);
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = Array.from({ length: 300 }, () => {
    const o = {};
    for (let j = 0; j < 30; j++) o['f' + j] = rnd();
    o.y = o.f3 + 2 * o.f7 + 0.1 * rnd();
    o.c = o.f1 + o.f2 > 1 ? 'a' : o.f5 > 0.5 ? 'b' : 'c';
    return o;
  });
  const reg = rows.map(({ c, ...x }) => x), cls = rows.map(({ y, ...x }) => x);
  r.regression = plain((await selectFeatures(reg, { k: 5, target: 'y', epochs: 25, seeds: [11, 22, 33] })).data);
  r.distinctFinetune = plain((await selectFeatures(cls, { k: 8, target: 'c', epochs: 25, seeds: [11, 22, 33, 44], finetune: 5 })).data);
  r.faithful = plain((await selectFeatures(cls, { k: 8, target: 'c', epochs: 25, seeds: [11, 22], distinct: false })).data);
  r.stg = plain((await selectFeatures(cls, { k: 4, target: 'c', epochs: 15, seeds: [11, 22], method: 'stg', retrainEpochs: 10 })).data);
  r.lassonet = plain((await selectFeatures(cls, { k: 4, target: 'c', seeds: [11], method: 'lassonet', retrainEpochs: 10 })).data);
  const sw = await sweepK(cls, { k: [3, 6], target: 'c', epochs: 15, seeds: [5, 6] });
  r.sweep = { suggested: sw.suggested, rule: sw.rule, rows: sw.rows.map((x) => ({ k: x.k, metric: x.metric, uniquePct: x.uniquePct, selection: plain(x.selection.data) })) };
  writeFileSync(path.join(out, 'library.json'), JSON.stringify(r, null, 1));
}

const TIMING = new Set(['secondsTotal', 'seconds', 'started', 'finished', 'command', 'sittings', 'secondsBefore']);
// timing fields dropped, keys sorted (a config's key order is not its content)
const strip = (o) =>
  Array.isArray(o) ? o.map(strip) : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).filter(([k]) => !TIMING.has(k)).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, strip(v)])) : o;
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)).map((g) => path.join(f, g)) : [f]));
const metrics = (b) => {
  const t = tableFromIPC(b);
  return JSON.stringify(t.schema.fields.filter((f) => f.name !== 'seconds').map((f) => [f.name, Array.from(t.getChild(f.name).toArray(), (v) => (typeof v === 'bigint' ? String(v) : v))]));
};

const a = path.join(work, 'this'), b = path.join(work, 'other');
try {
  for (const [root, out] of [[here, a], [path.resolve(args.against), b]]) {
    rmSync(out, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', out]);
    jobs(root, out);
  }
  const differences = [];
  const names = new Set([...files(a), ...files(b)]);
  for (const f of [...names].sort()) {
    if (/(^|\/)(manifest\.json|summary\.md|state(\.prev)?\.bin)$/.test(f)) continue; // times; state.bin holds the sittings' seconds
    if (!existsSync(path.join(a, f)) || !existsSync(path.join(b, f))) {
      differences.push(`${f}: only in ${existsSync(path.join(a, f)) ? 'this checkout' : 'the other'}`);
      continue;
    }
    const x = readFileSync(path.join(a, f)), y = readFileSync(path.join(b, f));
    const same = f.endsWith('.json') ? JSON.stringify(strip(JSON.parse(x))) === JSON.stringify(strip(JSON.parse(y))) : f.endsWith('metrics.arrow') ? metrics(x) === metrics(y) : x.equals(y);
    if (!same) differences.push(`${f}: differs`);
  }
  for (const d of differences) console.log(d);
  console.log(differences.length ? `${differences.length} difference(s)` : `the same program: ${names.size} files compared`);
  process.exitCode = differences.length ? 1 : 0;
} finally {
  if (!args.keep) rmSync(work, { recursive: true, force: true });
}
