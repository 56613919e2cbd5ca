// `ipcae report`: the runs' figures as SVG and PNG files, and one self-contained index.html
// (figures embedded, no script, no network) with the Tables 1–2 and Table 3 tables.
import path from 'node:path';
import { writeAtomic } from '../files/atomic.js';
import { ensureDir } from '../files/dirs.js';
import { formatUnique, formatValue, hasResult } from '../experiment/summary.js';
import { IpcaeError } from '../errors.js';
import { formatMetric, metricByKey } from '../task.js';
import { ALL_METHODS as METHODS } from '../train/methods.js';
import { paperCell, readRuns, resultGrid, type RunRecord } from './compare.js';
import { drawFigures, planReport, type DrawnFigure, type FigureOptions, type ReportPlan } from './figures.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Tables 1–2: one row per method (label), one column per dataset · task; mean ± std and unique %. */
export function resultsTableHtml(runs: RunRecord[], labels: string[]): string {
  const { cols, rows: unordered, at } = resultGrid(
    runs.map((r) => r.summary),
    labels,
    (s) => `${path.basename(s.dataset).replace(/\.[^.]+$/, '')} · ${s.task}`,
  );
  // Rows in the paper's order of methods (CAE, CAE+GJSD, IP-CAE, …), then by label.
  const rank = (label: string) => {
    const i = (METHODS as readonly string[]).indexOf(runs[labels.indexOf(label)].summary.method);
    return i < 0 ? METHODS.length : i;
  };
  const rows = [...unordered].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const cell = (label: string, c: string) => {
    const s = at(label, c);
    if (!s) return '<td class="none">—</td>';
    const paper = paperCell(s);
    return hasResult(s)
      ? `<td><span class="v">${esc(formatValue(s))}</span> <span class="up">UP ${formatUnique(s)} %</span> <span class="n">n = ${s.seeds.length}</span>${paper ? ` <span class="paper">paper ${esc(paper)}</span>` : ''}</td>`
      : `<td><span class="v diverged">${esc(formatValue(s))}</span></td>`;
  };
  return [
    '<table class="results">',
    `<thead><tr><th>method</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((l) => `<tr><th>${esc(l)}</th>${cols.map((c) => cell(l, c)).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

/** Every run's seeds, one line each: what the mean ± std is made of (collapsed per run). */
export function perSeedHtml(runs: RunRecord[], labels: string[]): string {
  return runs
    .map((r, i) => {
      const s = r.summary;
      const m = metricByKey(s.metric);
      const v = (x: number) => formatMetric(s.metric, x * m.scale, s.metric === 'accuracy' ? 2 : 3);
      const rows = s.seeds.map(
        (x) =>
          `<tr><td>${x.seed}</td><td>${x.bestEpoch + 1}</td><td>${v(x.testMetric)}</td><td>${x.uniquePct.toFixed(0)}</td><td>${x.duplicates}</td>${x.distinct ? `<td>${v(x.distinct.testMetric)}</td>` : '<td>—</td>'}<td>${esc(x.selectedNames.slice(0, 8).join(', '))}${x.selectedNames.length > 8 ? ', …' : ''}</td></tr>`,
      );
      const diverged = (s.diverged ?? []).map((d) => `<tr><td>${d.seed}</td><td colspan="6">diverged at epoch ${d.epoch + 1}: no result</td></tr>`);
      return [
        `<details><summary>${esc(labels[i])} · ${esc(path.basename(s.dataset))} · ${esc(s.task)}: ${s.seeds.length} seed(s)</summary>`,
        '<table class="seeds">',
        `<thead><tr><th>seed</th><th>best epoch</th><th>${esc(m.test)}${s.metric === 'accuracy' ? ' (%)' : ''}</th><th>unique %</th><th>duplicates</th><th>distinct selection</th><th>selected (first 8)</th></tr></thead><tbody>`,
        ...rows,
        ...diverged,
        '</tbody></table></details>',
      ].join('\n');
    })
    .join('\n');
}

/** Table 3: epochs IP-CAE needs to reach CAE's best mean validation loss. */
export function speedTableHtml(speed: ReportPlan['speed']): string {
  if (!speed.length) return '';
  return [
    '<table class="speed">',
    '<thead><tr><th>dataset · task</th><th>CAE run</th><th>IP-CAE run</th><th>epochs IP-CAE needs</th><th>speed-up</th><th>caveat</th></tr></thead><tbody>',
    ...speed.map(
      (s) =>
        `<tr><td>${esc(s.group)}</td><td>${esc(s.cae)} (${s.caeEpochs} epochs)</td><td>${esc(s.ip)}</td><td>${s.epochs ?? 'not reached'}</td><td>${s.speedUp ? `${s.speedUp.toFixed(1)}×` : '—'}</td><td>${s.caveat ? esc(s.caveat) : '—'}</td></tr>`,
    ),
    '</tbody></table>',
  ].join('\n');
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; font-weight: 600; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; } th, td { border: 1px solid #ddd; padding: .35rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f4f4f4; } td .up, td .n, td .paper { color: #666; font-size: .8rem; } td.none { color: #aaa; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .85rem; color: #555; margin-top: .3rem; } .runs { font-size: .8rem; color: #555; } code { font-size: .85em; }
`;

/** The page: tables first, then each dataset · task's figures, each image embedded as an SVG data URL. */
export function pageHtml(runs: RunRecord[], plan: ReportPlan, drawn: DrawnFigure[], outDir: string, generated = new Date()): string {
  const groups = [...new Set(plan.figures.map((f) => f.group))];
  const byName = new Map(drawn.map((d) => [d.figure.name, d]));
  const rel = (f: string) => path.relative(outDir, f).split(path.sep).join('/');
  const fig = (d: DrawnFigure) =>
    [
      `<figure id="${esc(d.figure.name)}">`,
      `<img alt="${esc(d.figure.title)}" width="${d.width}" height="${d.height}" src="data:image/svg+xml;base64,${Buffer.from(d.svg).toString('base64')}">`,
      `<figcaption>${esc(d.figure.caption)} <a href="${esc(rel(d.svgFile))}">SVG</a> · <a href="${esc(rel(d.pngFile))}">PNG</a></figcaption>`,
      '</figure>',
    ].join('\n');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>ipcae report: ${esc(groups.join(', ') || 'runs')}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>ipcae report</h1>`,
    `<p class="runs">${runs.length} run(s), generated ${esc(generated.toISOString())}: ${runs.map((r) => `<code>${esc(r.dir)}</code>`).join(', ')}</p>`,
    '<h2>Results (Tables 1–2)</h2>',
    '<p>Test metric with each seed\'s best-validation parameters: mean ± sample std over seeds (accuracy in %, reconstruction error as MSE); UP: mean unique percentage of the selected features.</p>',
    resultsTableHtml(runs, plan.labels),
    '<h2>Per seed</h2>',
    "<p>Each run's seeds: best-validation epoch (counted from 1), test metric, unique percentage, duplicated selections, the distinct selection's metric where argmax repeated a feature.</p>",
    perSeedHtml(runs, plan.labels),
    ...(plan.speed.length ? ['<h2>Speed-up (Table 3)</h2>', "<p>The first epoch at which IP-CAE's mean validation loss reaches CAE's best mean validation loss over all its epochs.</p>", speedTableHtml(plan.speed)] : []),
    ...groups.flatMap((g) => [`<h2>${esc(g)}</h2>`, ...plan.figures.filter((f) => f.group === g).map((f) => fig(byName.get(f.figure.name)!))]),
    '</body></html>',
    '',
  ].join('\n');
}

export interface ReportResult {
  out: string;
  page: string;
  figures: DrawnFigure[];
  runs: number;
}

/** `ipcae report`: reads the runs at or below `dirs`, draws every figure they allow, writes the page. */
export async function writeReport(dirs: string[], opts: FigureOptions & { out?: string; onSkipped?: (dir: string) => void } = {}): Promise<ReportResult> {
  if (!dirs.length) throw new IpcaeError('ERR_INVALID_ARGUMENT', 'Expected at least one run directory');
  const runs = readRuns(dirs, opts.onSkipped);
  const out = opts.out ?? (dirs.length === 1 ? path.join(dirs[0], 'report') : 'report');
  ensureDir(out);
  const plan = planReport(runs, opts);
  const drawn = await drawFigures(
    plan.figures.map((f) => f.figure),
    path.join(out, 'figures'),
  );
  const page = path.join(out, 'index.html');
  writeAtomic(page, pageHtml(runs, plan, drawn, out));
  return { out, page, figures: drawn, runs: runs.length };
}
