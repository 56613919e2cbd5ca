// Pictures and what a person sees: each run's figures, `ipcae report` (SVG, PNG, a page that opens
// in headless Chromium), `ipcae export`, the progress line on an 80-column terminal, --help and --version.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import Papa from 'papaparse';
import { PNG } from 'pngjs';
import { rng, normal } from './helpers.js';
import { glyphsMissing, pngSize, renderPng, renderSvg } from '../lib/figures/render.js';
import { statusLine } from '../lib/cli/progress.js';
import { readTableFile } from '../lib/tables/read.js';
import type { Summary } from '../lib/experiment/summary.js';

const runCli = path.resolve('dist/lib/cli/run.js');
const ipcae = path.resolve('dist/lib/cli/ipcae.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'ipcae-report-'));
const table = path.join(root, 'digits.arrow');
const K = 4;
const SEEDS = [1, 2, 3];

/** 6×6 'images' named pixel_<r>_<c>; the class lights up one of three pixel pairs. */
function imageTable(rows: number, seed: number) {
  const r = rng(seed);
  const cols: Record<string, Float32Array> = {};
  const side = 6;
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) cols[`pixel_${i}_${j}`] = new Float32Array(rows);
  const label = new Int32Array(rows);
  const hot = [['pixel_1_1', 'pixel_1_4'], ['pixel_4_1', 'pixel_4_4'], ['pixel_2_2', 'pixel_3_3']];
  for (let n = 0; n < rows; n++) {
    const c = n % 3;
    label[n] = c;
    for (const k of Object.keys(cols)) cols[k][n] = 0.2 * normal(r);
    for (const k of hot[c]) cols[k][n] += 2;
  }
  return tableFromArrays({ ...cols, label });
}

const run = (out: string, ...extra: string[]) => {
  const r = spawnSync(process.execPath, [runCli, '--dataset', table, '--target', 'label', '--k', String(K), '--epochs', '4', '--seeds', SEEDS.join(','), '--batch-size', '16', '--out', out, '--quiet', ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r;
};

before(() => {
  writeFileSync(table, tableToIPC(imageTable(150, 3), 'file'));
  run(path.join(root, 'runs'), '--methods', 'cae,ip-cae');
  run(path.join(root, 'linear'), '--hidden', '');
});
after(() => rmSync(root, { recursive: true, force: true }));

/** The <path> items of the mark group named `name` (vega names it `<name>_marks`), each group's list. */
function markGroups(svg: string, name: string): string[][] {
  return [...svg.matchAll(new RegExp(`class="mark-\\w+ role-mark ${name}_marks"[^>]*>(.*?)</g>`, 'gs'))].map((m) => [...m[1].matchAll(/<path aria-label="([^"]*)"/g)].map((p) => p[1]));
}

const svgSize = (svg: string) => {
  const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
};

test('a finished run draws its own figures (curves and the selection map); --no-figures draws none', () => {
  const figs = path.join(root, 'runs', 'ip-cae', 'figures');
  assert.deepEqual(readdirSync(figs).sort(), ['curves.png', 'curves.svg', 'selection-map.png', 'selection-map.svg']);
  const svg = readFileSync(path.join(figs, 'curves.svg'), 'utf8');
  assert.equal(markGroups(svg, 'metric_lines')[0].length, 1, 'one method, one line');
  const png = readFileSync(path.join(figs, 'curves.png'));
  const s = svgSize(svg);
  assert.deepEqual(pngSize(png), { width: Math.round(2 * s.width), height: Math.round(2 * s.height) });
  const md = readFileSync(path.join(root, 'runs', 'ip-cae', 'summary.md'), 'utf8');
  assert.match(md, new RegExp(`^K = ${K} · 4 epochs · batch 16 · Adam lr [\\d.e-]+ · temperature 10 → 0.01 · decoder hidden 200 · P = D · noise per-sample · not shuffled$`, 'm'));
  const none = path.join(root, 'none');
  run(none, '--no-figures', '--seeds', '1');
  assert.equal(existsSync(path.join(none, 'figures')), false);
  assert.ok(existsSync(path.join(none, 'summary.json')));
});

test('ipcae report: curves per method, selection maps with each seed\'s pixels, a sweep, stability, PNGs of the right size', () => {
  const out = path.join(root, 'report');
  const r = spawnSync(process.execPath, [ipcae, 'report', path.join(root, 'runs'), path.join(root, 'linear'), '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 run\(s\), \d+ figure\(s\)/);
  const figs = path.join(out, 'figures');
  const svg = (n: string) => readFileSync(path.join(figs, `${n}.svg`), 'utf8');
  // Curves: three series (cae, ip-cae, ip-cae with a linear decoder): as many bands and lines.
  const curves = svg('digits-classification-curves');
  for (const g of ['metric_bands', 'metric_lines', 'loss_bands', 'loss_lines', 'unique_lines']) assert.equal(markGroups(curves, g).flat().length, 3, g);
  for (const title of ['validation accuracy (%)', 'validation loss', 'unique % (dotted)', 'temperature', 'epoch']) assert.ok(curves.includes(`>${title}</text>`), title);
  // Selection maps: per seed exactly its distinct selected pixels; the consensus stated and outlined.
  for (const method of ['cae', 'ip-cae-decoder-hidden-200']) {
    const summary = JSON.parse(readFileSync(path.join(root, 'runs', method.startsWith('ip') ? 'ip-cae' : 'cae', 'summary.json'), 'utf8')) as Summary;
    const map = svg(`digits-classification-${method}-selection-map`);
    const perSeed = markGroups(map, 'seed_pixels');
    assert.equal(perSeed.length, SEEDS.length);
    for (const s of summary.seeds) {
      const marked = perSeed.flat().filter((l) => l.startsWith(`seed ${s.seed}: `)).map((l) => l.slice(`seed ${s.seed}: `.length));
      assert.deepEqual(marked.sort(), [...new Set(s.selectedNames)].sort(), `seed ${s.seed}`);
    }
    const consensus = markGroups(map, 'consensus')[0];
    assert.deepEqual(consensus.map((l) => l.replace('consensus ', '')).sort(), [...summary.stability.consensus].sort());
    assert.ok(map.includes(`${summary.stability.consensus.length} consensus pixels`));
    assert.ok(markGroups(map, 'mean_image')[0].length === 36, 'the mean image behind: 6 × 6 pixels');
    const stab = markGroups(svg(`digits-classification-${method}-stability`), 'jaccard_cells')[0];
    assert.equal(stab.length, SEEDS.length ** 2);
  }
  // Decoder depth differs between the runs: a box plot with every seed of every run as a point.
  const sweep = svg('digits-classification-sweep-decoder-hidden');
  assert.equal(markGroups(sweep, 'sweep_points')[0].length, 3 * SEEDS.length);
  assert.ok(sweep.includes('>decoder hidden layers</text>'));
  for (const f of readdirSync(figs).filter((f) => f.endsWith('.png'))) {
    const s = svgSize(svg(f.replace(/\.png$/, '')));
    assert.deepEqual(pngSize(readFileSync(path.join(figs, f))), { width: Math.round(2 * s.width), height: Math.round(2 * s.height) }, f);
    const png = PNG.sync.read(readFileSync(path.join(figs, f)));
    assert.equal(png.width, Math.round(2 * s.width), `${f} decodes`);
  }
  const page = readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.doesNotMatch(page, /(src|href)="https?:/, 'nothing from the network');
  assert.match(page, /<table class="results">/);
  assert.match(page, /<table class="speed">/);
  // every seed of every run has its line, under its run
  assert.equal(page.match(/<table class="seeds">/g)?.length, Number(/(\d+) run\(s\)/.exec(page)![1]));
  for (const seed of SEEDS) assert.match(page, new RegExp(`<tr><td>${seed}</td><td>\\d+</td><td>\\d+\\.\\d\\d</td>`));
});

/** Debian's chromium: installed when missing and this is root with apt-get (as the CI machine is). */
function chromium(): string | undefined {
  const bin = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((b) => existsSync(b));
  if (bin) return bin;
  if (process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore' });
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((b) => existsSync(b));
}
const browser = chromium();
const browserSkip = browser ? false : process.env.IPCAE_REQUIRE_CHROMIUM ? false : 'chromium is not available (Debian: apt-get install chromium)';

test('the report page opens in headless Chromium: no console error, no network, every figure shown, not blank', { skip: browserSkip, timeout: 180_000 }, async () => {
  assert.ok(browser, 'chromium is required here (IPCAE_REQUIRE_CHROMIUM is set)');
  const out = path.join(root, 'page');
  const r = spawnSync(process.execPath, [ipcae, 'report', path.join(root, 'runs'), '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { chromium: pw } = await import('playwright-core');
  const b = await pw.launch({
    executablePath: browser,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (q) => !/^(file|data):/.test(q.url()) && problems.push(`network: ${q.url()}`));
    await page.goto('file://' + path.join(out, 'index.html'), { waitUntil: 'load' });
    const images = await page.$$eval('figure img', (imgs) => imgs.map((i) => ({ ok: (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0, alt: (i as HTMLImageElement).alt })));
    assert.ok(images.length >= 5, `figures on the page: ${images.length}`);
    assert.deepEqual(images.filter((i) => !i.ok), [], 'every figure decodes');
    const shot = PNG.sync.read(await page.screenshot({ fullPage: true }));
    let ink = 0;
    for (let i = 0; i < shot.data.length; i += 4) if (shot.data[i] < 200 || shot.data[i + 1] < 200 || shot.data[i + 2] < 200) ink++;
    assert.ok(ink / (shot.width * shot.height) > 0.01, `the screenshot is not blank (${ink} dark pixels of ${shot.width * shot.height})`);
    assert.deepEqual(problems, []);
  } finally {
    await b.close();
  }
});

test('ipcae export: metrics and selections as CSV, Parquet and JSON Lines, equal to the run\'s files', () => {
  const dir = path.join(root, 'runs', 'ip-cae');
  const metrics = tableFromIPC(readFileSync(path.join(dir, 'metrics.arrow')));
  const names = metrics.schema.fields.map((f) => f.name);
  const rows = [...metrics].map((r) => r.toJSON() as Record<string, number>);
  for (const format of ['csv', 'parquet', 'jsonl']) {
    const out = path.join(root, `export-${format}`);
    const r = spawnSync(process.execPath, [ipcae, 'export', dir, '--format', format, '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const file = path.join(out, `metrics.${format}`);
    let got: Record<string, unknown>[];
    if (format === 'csv') got = Papa.parse<Record<string, unknown>>(readFileSync(file, 'utf8'), { header: true, dynamicTyping: true, skipEmptyLines: true }).data;
    else if (format === 'jsonl') got = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    else got = [...readTableFile(file).table].map((x) => x.toJSON());
    assert.equal(got.length, rows.length, format);
    // epochs counted from 1 and the accuracy in %, as the screen and the figures show them
    rows.forEach((row, i) => {
      for (const n of names) {
        if (n === 'epoch') assert.equal(Number(got[i].epoch), Number(row.epoch) + 1, `${format} row ${i} epoch`);
        else if (n === 'valMetric') assert.ok(Math.abs(Number(got[i].valAccuracy) - Number(row.valMetric) * 100) < 1e-9, `${format} row ${i} valAccuracy`);
        else assert.equal(Number(got[i][n]), Number(row[n]), `${format} row ${i} ${n}`);
      }
    });
    assert.ok(!('valMetric' in got[0]), 'the metric is named by the task');
    const sel = path.join(out, `selections.${format}`);
    assert.ok(existsSync(sel));
  }
  const sel = Papa.parse<Record<string, string>>(readFileSync(path.join(root, 'export-csv', 'selections.csv'), 'utf8'), { header: true, skipEmptyLines: true }).data;
  const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(sel.map((s) => s.name), summary.seeds.flatMap((s) => s.selectedNames));
  const bad = spawnSync(process.execPath, [ipcae, 'export', dir, '--format', 'xlsx'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format csv, parquet, jsonl but received 'xlsx'/);
  const typo = spawnSync(process.execPath, [ipcae, 'export', dir, '--formt', 'csv'], { encoding: 'utf8' });
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown option '--formt'\s+\(Did you mean --format\?\)/);
});

test('the status line fits the width it is given, with ten seeds, and drops the least needed parts first', () => {
  const m = {
    epoch: 41,
    temperature: 1.2345,
    seconds: 0.61,
    replicas: Array.from({ length: 10 }, (_, i) => ({ seed: i, trainLoss: 1, valLoss: 1, valMetric: 0.9 + i / 1000, uniquePct: 90 + i, gjsd: 0, meanMaxProb: 0.5, improved: false, diverged: i === 9 })),
  };
  const info = { task: 'classification', epochs: 200 };
  for (const w of [40, 60, 80, 100, 200]) {
    const line = statusLine(m, info, 0.61, w);
    assert.ok(line.length <= w - 1, `${w}: ${line}`);
    assert.match(line, /^epoch 42\/200/);
  }
  assert.match(statusLine(m, info, 0.61, 200), /█+░+ {2}T=1\.23 {2}val acc 90\.4 \[90\.0–90\.8\] \(1 diverged\) {2}uniq% 94 \[90–98\] {2}0\.61 s\/ep {2}ETA 1m36s$/);
  // 80 columns, the width most terminals have: a bar, the metric and the ETA (s/epoch, unique % and here the temperature gave way)
  assert.match(statusLine(m, info, 0.61, 80), /^epoch 42\/200 {2}█{1,}░+ {2}(T=1\.23 {2})?val acc 90\.4 \[90\.0–90\.8\] \(1 diverged\) {2}ETA 1m36s$/);
  assert.match(statusLine(m, info, 0.61, 100, false), /uniq% 94 \[90–98\] {2}0\.61 s\/ep/, 'without a bar nothing gives way that fits');
  assert.doesNotMatch(statusLine(m, info, 0.61, 200, false), /█/);
});

test('on an 80-column pseudo-terminal the progress is one line redrawn in place, with ten seeds', { skip: spawnSync('sh', ['-c', 'command -v script']).status === 0 ? false : 'script (util-linux) is not installed' }, () => {
  const out = path.join(root, 'tty');
  const cmd = [process.execPath, runCli, '--dataset', table, '--target', 'label', '--k', String(K), '--epochs', '6', '--seeds', 'paper', '--batch-size', '16', '--out', out, '--no-figures']
    .map((a) => `'${a}'`)
    .join(' ');
  const r = spawnSync('script', ['-qfec', `stty cols 80 rows 24; ${cmd}`, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const text = r.stdout;
  // The progress section: from the first redraw (cursor to column 1) to the newline that ends it.
  const start = text.indexOf('\x1b[1G');
  assert.ok(start >= 0, `no redraw on a terminal: ${JSON.stringify(text.slice(0, 400))}`);
  const end = text.indexOf('\n', start);
  const section = text.slice(start, end);
  const frames = section.split('\x1b[1G').slice(1).map((f) => f.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]|\r/g, ''));
  assert.ok(frames.length >= 2, `redrawn frames: ${frames.length}`);
  for (const f of frames) assert.ok([...f].length <= 79, `a frame wider than the terminal: ${JSON.stringify(f)}`);
  assert.match(frames[frames.length - 1], /^epoch 6\/6 .*val acc [\d.]+ \[[\d.]+–[\d.]+\]/);
  assert.match(text.slice(end), /ip-cae on .*over 10 seed\(s\)/);
  // Not a terminal: a plain line per epoch (no bar); --quiet: none.
  const plain = spawnSync(process.execPath, [runCli, '--dataset', table, '--target', 'label', '--k', String(K), '--epochs', '3', '--seeds', '1,2', '--batch-size', '16', '--out', path.join(root, 'plain'), '--no-figures'], { encoding: 'utf8' });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout.split('\n').filter((l) => /^epoch \d\/3 /.test(l)).length, 3, plain.stdout);
  assert.doesNotMatch(plain.stdout + plain.stderr, /█|\x1b\[/);
});

test('ipcae --help names every command once; --version prints the package version; a wrong --image-shape is refused before training', () => {
  const help = spawnSync(process.execPath, [ipcae, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.equal(help.stdout.match(/^Commands:/gm)?.length, 1);
  for (const c of ['run', 'slurm', 'compare', 'report', 'export', 'impute', 'data']) assert.equal(help.stdout.match(new RegExp(`^  ${c}\\b`, 'gm'))?.length, 1, c);
  const v = spawnSync(process.execPath, [ipcae, '--version'], { encoding: 'utf8' });
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
  const bad = spawnSync(process.execPath, [runCli, '--dataset', table, '--target', 'label', '--k', '4', '--epochs', '1', '--image-shape', '5x5', '--out', path.join(root, 'bad')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--image-shape 5x5 to hold the 36 features .* but it holds 25 pixels/);
  assert.equal(existsSync(path.join(root, 'bad', 'state.bin')), false);
  const typo = spawnSync(process.execPath, [ipcae, 'report', path.join(root, 'runs'), '--image-shape', '6by6'], { encoding: 'utf8' });
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /--image-shape as HxW/);
});

test('text the shipped font cannot draw is named, never silently boxed: CJK column names get a warning', async () => {
  const svg = await renderSvg({ title: 'température · größe ± λ² 温度', data: { values: [{ a: '温度', b: 1 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } } });
  assert.deepEqual(glyphsMissing(svg), ['温', '度']);
  assert.deepEqual(glyphsMissing(svg.replace(/温度/g, 'x')), [], 'Latin, Greek and the symbols are in DejaVu Sans');
  assert.ok(pngSize(await renderPng(svg)).width > 0);
  const r = spawnSync(process.execPath, [ipcae, 'report', path.join(root, 'runs', 'ip-cae'), '--out', path.join(root, 'glyphs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /warning/, 'pixel names need no other font');
});
