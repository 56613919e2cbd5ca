// Validation curves over epochs (the paper's Figures 1 and 5): per series, the mean over seeds with a
// band of ± one sample std, the mean unique percentage dotted on a second axis, the temperature faint
// below, and marked epochs (the Table-3 speed-up).
import type { TopLevelSpec } from 'vega-lite';
import type { EpochMetrics } from '../train/trainer.js';
import { meanStd } from '../stats/stats.js';
import { CONFIG, SCHEMA, colourScale, metricWords } from './theme.js';
import type { Figure } from './render.js';

export interface CurveSeries {
  /** The legend entry: a method, or a method with the settings that set it apart. */
  label: string;
  history: EpochMetrics[];
}

/** A vertical rule on the loss panel at `epoch` (1-based), labelled. */
export interface CurveMarker {
  epoch: number;
  text: string;
}

export interface CurvePoint {
  series: string;
  epoch: number;
  seeds: number;
  metric: number;
  metricLo: number;
  metricHi: number;
  loss: number;
  lossLo: number;
  lossHi: number;
  unique: number;
  temperature: number;
}

/** Mean ± one sample std over the seeds that had not diverged, per epoch (1-based). */
export function curvePoints(series: CurveSeries[], task: string): CurvePoint[] {
  const { scale } = metricWords(task);
  return series.flatMap((s) =>
    s.history.flatMap((h) => {
      const live = h.replicas.filter((r) => !r.diverged && Number.isFinite(r.valLoss));
      if (!live.length) return [];
      const m = meanStd(live.map((r) => r.valMetric * scale));
      const l = meanStd(live.map((r) => r.valLoss));
      return [
        {
          series: s.label,
          epoch: h.epoch + 1,
          seeds: live.length,
          metric: m.mean,
          metricLo: m.mean - m.std,
          metricHi: m.mean + m.std,
          loss: l.mean,
          lossLo: l.mean - l.std,
          lossHi: l.mean + l.std,
          unique: meanStd(live.map((r) => r.uniquePct)).mean,
          temperature: h.temperature,
        },
      ];
    }),
  );
}

// One legend for every layer (they share the colour scale): a layer without one would hide it.
const LEGEND = { title: null, orient: 'top' as const, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, columns: 4 };

// Epochs are whole numbers: a short run lists them (the default ticks would fall between epochs).
const epochAxis = (last: number) => ({ field: 'epoch' as const, type: 'quantitative' as const, title: 'epoch', ...(last <= 12 ? { axis: { values: Array.from({ length: last }, (_, i) => i + 1) } } : {}) });

type EpochX = ReturnType<typeof epochAxis>;

function bandAndLine(X: EpochX, value: 'metric' | 'loss', title: string, colour: object, logScale: boolean) {
  // A log axis gets a few labelled ticks, not a grid line at every minor decade step.
  const y = { field: `${value}Lo`, type: 'quantitative' as const, title, scale: logScale ? { type: 'log' as const } : { zero: false }, ...(logScale ? { axis: { tickCount: 4, format: '~g' } } : {}) };
  return [
    {
      name: `${value}_bands`,
      mark: { type: 'area' as const, opacity: 0.18 },
      encoding: { x: X, y, y2: { field: `${value}Hi` }, color: { field: 'series', type: 'nominal' as const, scale: colour, legend: LEGEND } },
    },
    {
      name: `${value}_lines`,
      mark: { type: 'line' as const, strokeWidth: 1.8 },
      encoding: {
        x: X,
        y: { field: value, type: 'quantitative' as const, title, scale: y.scale, ...(logScale ? { axis: y.axis } : {}) },
        color: { field: 'series', type: 'nominal' as const, scale: colour, legend: LEGEND },
        description: { field: 'series' },
      },
    },
  ];
}

/**
 * The curves figure. `title` names the dataset and task. Bands and lines: one per series, in marks
 * named metric_bands/metric_lines (and loss_* when the loss differs from the metric).
 */
export function curvesFigure(opts: { name: string; title: string; task: string; series: CurveSeries[]; markers?: CurveMarker[] }): Figure {
  const points = curvePoints(opts.series, opts.task);
  const X = epochAxis(Math.max(1, ...points.map((p) => p.epoch)));
  const labels = [...new Set(points.map((p) => p.series))];
  const colour = colourScale(labels);
  const words = metricWords(opts.task);
  // Reconstruction: the validation loss is the metric; one panel says it all.
  const lossDiffers = points.some((p) => Math.abs(p.loss - p.metric) > 1e-9 * Math.max(1, Math.abs(p.metric)));
  const positive = (f: (p: CurvePoint) => number) => points.every((p) => f(p) > 0);
  const spread = (f: (p: CurvePoint) => number) => Math.max(...points.map(f)) / Math.min(...points.map(f));
  const metricLog = !words.higherIsBetter && positive((p) => p.metricLo) && spread((p) => p.metric) > 20;
  const lossLog = positive((p) => p.lossLo) && spread((p) => p.loss) > 20;
  const markers = (opts.markers ?? []).map((m) => ({ epoch: m.epoch, text: m.text }));
  const markerLayers = markers.length
    ? [
        {
          name: 'markers',
          data: { values: markers },
          mark: { type: 'rule' as const, strokeDash: [6, 3], color: '#333' },
          encoding: { x: { field: 'epoch', type: 'quantitative' as const }, description: { field: 'text' } },
        },
        {
          data: { values: markers },
          mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 4, dy: 4, fontSize: 10, color: '#333' },
          encoding: { x: { field: 'epoch', type: 'quantitative' as const }, y: { value: 0 }, text: { field: 'text' } },
        },
      ]
    : [];
  const width = 560;
  const metricPanel = {
    width,
    height: 240,
    layer: [
      { layer: [...bandAndLine(X, 'metric', `validation ${words.name}`, colour, metricLog), ...(lossDiffers ? [] : markerLayers)] },
      {
        name: 'unique_lines',
        mark: { type: 'line' as const, strokeDash: [2, 3], strokeWidth: 1.4 },
        encoding: {
          x: X,
          y: { field: 'unique', type: 'quantitative' as const, title: 'unique % (dotted)', scale: { domain: [0, 100] }, axis: { orient: 'right' as const, grid: false } },
          color: { field: 'series', type: 'nominal' as const, scale: colour, legend: LEGEND },
        },
      },
    ],
    resolve: { scale: { y: 'independent' as const } },
  };
  const lossPanel = { width, height: 180, layer: [...bandAndLine(X, 'loss', 'validation loss', colour, lossLog), ...markerLayers] };
  const temperaturePanel = {
    width,
    height: 60,
    name: 'temperature_line',
    mark: { type: 'line' as const, color: '#999', strokeWidth: 1, opacity: 0.7 },
    encoding: {
      x: X,
      y: { field: 'temperature', type: 'quantitative' as const, title: 'temperature', scale: { type: 'log' as const }, axis: { tickCount: 3, grid: false } },
      detail: { field: 'series', type: 'nominal' as const },
    },
  };
  const seeds = Math.max(...points.map((p) => p.seeds), 0);
  const spec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: opts.title, subtitle: `mean over ${seeds} seed(s) with a band of ± one std; unique % dotted (right axis); temperature below` },
    data: { values: points },
    vconcat: [metricPanel, ...(lossDiffers ? [lossPanel] : []), temperaturePanel],
    resolve: { scale: { color: 'shared' as const } },
  } as unknown as TopLevelSpec;
  return {
    name: opts.name,
    title: opts.title,
    caption: `Validation ${words.name}${lossDiffers ? ' and loss' : ''} per epoch: ${labels.join(', ')}.${markers.length ? ` ${markers.map((m) => m.text).join('; ')}.` : ''}`,
    spec,
  };
}
