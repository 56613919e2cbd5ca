// Which figures a set of finished runs can have, and drawing them to files: the report's figures
// and each run's own (curves and, for image data, the selection map) in <run>/figures/.
import { readFeatureMeans } from '../experiment/feature-means.js';
import path from 'node:path';
import { curvesFigure, type CurveMarker } from '../figures/curves.js';
import { featureFrequencyFigure } from '../figures/features.js';
import { imageShapeFor, selectionMapFigure } from '../figures/selection-map.js';
import { stabilityFigure } from '../figures/stability.js';
import { sweepFigure, type SweepPoint } from '../figures/sweep.js';
import { glyphsMissing, renderPng, renderSvg, type Figure } from '../figures/render.js';
import { metricWords } from '../figures/theme.js';
import { writeAtomic } from '../files/atomic.js';
import { ensureDir, removeStrayTemporaries } from '../files/dirs.js';
import { flatten, readRun, runLabels, speedUp, type RunRecord } from './compare.js';

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const base = (dataset: string) => path.basename(dataset).replace(/\.[^.]+$/, '');

// Settings that cannot change a result, and the ones that name the group.
const IGNORED = new Set(['threads', 'checkpointEvery', 'device', 'dataset', 'task', 'method']);

const KEY_TITLES: Record<string, string> = {
  'decoder.hidden': 'decoder hidden layers',
  k: 'K (features selected)',
  p: 'embedding size P',
  gjsdLambda: 'GJSD λ',
  epochs: 'epochs',
  lr: 'learning rate',
  batchSize: 'batch size',
};

/** The value of a swept setting as an axis label, and a number to sort by. */
function sweepValue(key: string, value: string): { label: string; order: number } {
  if (key === 'decoder.hidden') {
    const widths = value === '' ? [] : value.split(',');
    return { label: `${widths.length} (${widths.length ? widths.join('-') : 'linear'})`, order: widths.length };
  }
  const n = Number(value);
  return { label: value, order: Number.isFinite(n) ? n : 0 };
}

/** The configuration keys (flattened) whose values differ among these runs, results-relevant ones only. */
export function differingKeys(runs: RunRecord[]): string[] {
  const flat = runs.map((r) => flatten(r.config ?? {}));
  return [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((k) => !IGNORED.has(k) && new Set(flat.map((f) => f[k])).size > 1);
}

/** Table 3 on the curves: where IP-CAE first reaches CAE's best mean validation loss (same settings otherwise). */
function speedMarkers(runs: RunRecord[]): { markers: CurveMarker[]; rows: { cae: RunRecord; ip: RunRecord; epochs: number | null; speedUp: number | null; caveat?: string }[] } {
  const same = (a: RunRecord, b: RunRecord) => differingKeys([a, b]).length === 0;
  const rows = runs
    .filter((r) => r.summary.method === 'cae' && r.history)
    .flatMap((cae) => runs.filter((r) => r.summary.method === 'ip-cae' && r.history && same(cae, r)).map((ip) => ({ cae, ip })))
    .map(({ cae, ip }) => {
      const s = speedUp(cae.history!, ip.history!);
      return { cae, ip, epochs: s.epochsNeeded, speedUp: s.speedUp, ...(s.caveat ? { caveat: s.caveat } : {}) };
    });
  const markers = rows.flatMap((r) =>
    r.epochs === null ? [] : [{ epoch: r.epochs, text: `IP-CAE reaches CAE's best validation loss at epoch ${r.epochs} (${r.speedUp!.toFixed(1)}× fewer epochs)` }],
  );
  return { markers, rows };
}

/** A run has a curve when some epoch has a seed that had not diverged (a run whose seeds all diverged at once has none). */
const hasCurve = (r: RunRecord) => Boolean(r.history?.some((h) => h.replicas.some((x) => !x.diverged && Number.isFinite(x.valLoss))));

export interface FigureOptions {
  /** HxW for a user's image data (row-major features). */
  imageShape?: [number, number];
}

/** The per-run selection figure: a map for image data, else the most selected features. */
function selectionFigure(run: RunRecord, label: string, prefix: string, opts: FigureOptions): Figure | undefined {
  const s = run.summary;
  if (!s.seeds.length) return undefined;
  const means = readFeatureMeans(run.dir);
  const D = run.inputDim ?? means?.names.length;
  const allNames = means?.names ?? s.seeds.flatMap((x) => x.selectedNames);
  const shape = D ? imageShapeFor(base(s.dataset), D, allNames, opts.imageShape) : undefined;
  const k = s.seeds[0].selected.length;
  if (shape)
    return selectionMapFigure({
      name: `${prefix}selection-map`,
      title: `${base(s.dataset)} · ${s.task} · ${label}: selected pixels`,
      shape,
      seeds: s.seeds,
      consensus: s.stability.consensus,
      mean: means,
    });
  const scores = new Map((s.scores ?? []).map((f) => [f.feature, f.score]));
  return featureFrequencyFigure({
    name: `${prefix}features`,
    title: `${base(s.dataset)} · ${s.task} · ${label}: selected features`,
    seeds: s.seeds.length,
    features: Object.entries(s.stability.featureCounts).map(([feature, count]) => ({ feature, count, ...(scores.has(feature) ? { score: scores.get(feature) } : {}) })),
    top: 2 * k,
  });
}

export interface ReportPlan {
  figures: { group: string; figure: Figure }[];
  /** Table 3 rows: per dataset · task, CAE and IP-CAE runs with the same settings. */
  speed: { group: string; cae: string; ip: string; epochs: number | null; speedUp: number | null; caeEpochs: number; caveat?: string }[];
  labels: string[];
}

/** Every figure the runs have what it needs for, grouped by dataset · task. */
export function planReport(runs: RunRecord[], opts: FigureOptions = {}): ReportPlan {
  const labels = runLabels(runs);
  const groups = new Map<string, number[]>();
  runs.forEach((r, i) => {
    const g = `${base(r.summary.dataset)} · ${r.summary.task}`;
    groups.set(g, [...(groups.get(g) ?? []), i]);
  });
  const figures: ReportPlan['figures'] = [];
  const speed: ReportPlan['speed'] = [];
  for (const [group, idx] of groups) {
    const rs = idx.map((i) => runs[i]);
    const task = rs[0].summary.task;
    const gslug = slug(group);
    const { markers, rows } = speedMarkers(rs);
    for (const r of rows) speed.push({ group, cae: labels[runs.indexOf(r.cae)], ip: labels[runs.indexOf(r.ip)], epochs: r.epochs, speedUp: r.speedUp, caeEpochs: r.cae.history!.length, ...(r.caveat ? { caveat: r.caveat } : {}) });
    const withHistory = idx.filter((i) => hasCurve(runs[i]));
    if (withHistory.length)
      figures.push({
        group,
        figure: curvesFigure({
          name: `${gslug}-curves`,
          title: `${group}: validation curves`,
          task,
          series: withHistory.map((i) => ({ label: labels[i], history: runs[i].history! })),
          markers,
        }),
      });
    const keys = differingKeys(rs);
    if (keys.length === 1 && rs.length > 1) {
      const key = keys[0];
      const vals = rs.map((r) => sweepValue(key, flatten(r.config ?? {})[key] ?? ''));
      const order = [...new Map(vals.map((v) => [v.label, v.order])).entries()].sort((a, b) => a[1] - b[1]).map(([l]) => l);
      const points: SweepPoint[] = rs.flatMap((r, j) => r.summary.seeds.map((s) => ({ value: vals[j].label, method: r.summary.method, seed: s.seed, metric: s.testMetric })));
      figures.push({
        group,
        figure: sweepFigure({ name: `${gslug}-sweep-${slug(key)}`, title: `${group}: test ${metricWords(task).name} against ${KEY_TITLES[key] ?? key}`, task, key, keyTitle: KEY_TITLES[key] ?? key, values: order, points }),
      });
    }
    for (const i of idx) {
      const r = runs[i];
      const prefix = `${gslug}-${slug(labels[i])}-`;
      const sel = selectionFigure(r, labels[i], prefix, opts);
      if (sel) figures.push({ group, figure: sel });
      if (r.summary.seeds.length > 1)
        figures.push({
          group,
          figure: stabilityFigure({ name: `${prefix}stability`, title: `${group} · ${labels[i]}: selection stability`, seeds: r.summary.seeds }),
        });
    }
  }
  return { figures, speed, labels };
}

export interface DrawnFigure {
  figure: Figure;
  svg: string;
  svgFile: string;
  pngFile: string;
  width: number;
  height: number;
  /** Characters of the figure's text that the shipped font lacks (see glyphsMissing). */
  missingGlyphs: string[];
}

/** A warning for each drawn figure whose text the shipped font cannot draw, or none. */
export function glyphWarnings(drawn: DrawnFigure[]): string[] {
  return drawn
    .filter((d) => d.missingGlyphs.length)
    .map((d) => `${d.pngFile}: the figure font (DejaVu Sans) has no ${d.missingGlyphs.join('')}: the PNG draws them with a system font that has them, or as empty boxes (the SVG and the page use the viewer's fonts)`);
}

/** Renders each figure to <dir>/<name>.svg and .png (atomic writes). */
export async function drawFigures(figures: Figure[], dir: string): Promise<DrawnFigure[]> {
  ensureDir(dir);
  removeStrayTemporaries(dir); // left by a drawing that was killed half-way
  const out: DrawnFigure[] = [];
  for (const figure of figures) {
    const svg = await renderSvg(figure.spec);
    const png = await renderPng(svg);
    const svgFile = path.join(dir, `${figure.name}.svg`);
    const pngFile = path.join(dir, `${figure.name}.png`);
    writeAtomic(svgFile, svg);
    writeAtomic(pngFile, png);
    const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
    out.push({ figure, svg, svgFile, pngFile, width: m ? Number(m[1]) : 0, height: m ? Number(m[2]) : 0, missingGlyphs: glyphsMissing(svg) });
  }
  return out;
}

/**
 * A finished run's own figures in <dir>/figures/: curves.svg/png, and selection-map.svg/png (image
 * data) or features.svg/png (tabular data).
 */
export async function drawRunFigures(dir: string, opts: FigureOptions = {}): Promise<DrawnFigure[]> {
  const run = readRun(dir);
  const s = run.summary;
  const label = s.method;
  const figures: Figure[] = [];
  if (hasCurve(run))
    figures.push(curvesFigure({ name: 'curves', title: `${base(s.dataset)} · ${s.task} · ${label}: validation curves`, task: s.task, series: [{ label, history: run.history! }] }));
  const sel = selectionFigure(run, label, '', opts);
  if (sel) figures.push(sel);
  return drawFigures(figures, path.join(dir, 'figures'));
}
