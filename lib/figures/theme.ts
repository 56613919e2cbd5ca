// What every figure shares: the font, sizes, and one colour per method (the same in every figure).
import { FONT_FAMILY } from './render.js';
import { taskMetric } from '../task.js';

const METHOD_COLOURS: Record<string, string> = {
  cae: '#4c78a8',
  'cae-gjsd': '#72b7b2',
  'ip-cae': '#f58518',
  'ip-cae-gjsd': '#e45756',
  'ip-diag': '#54a24b',
  'ip-scalar': '#b279a2',
};
const OTHER_COLOURS = ['#9d755d', '#eeca3b', '#ff9da6', '#bab0ac', '#79706e', '#d67195', '#439894', '#83bcb6'];

/** A colour scale over series labels: a label that starts with a method's name takes that method's colour. */
export function colourScale(labels: string[]): { domain: string[]; range: string[] } {
  const taken = new Set<string>();
  let other = 0;
  const range = labels.map((l) => {
    const m = Object.keys(METHOD_COLOURS)
      .sort((a, b) => b.length - a.length)
      .find((k) => l === k || l.startsWith(`${k} `));
    const c = m && !taken.has(METHOD_COLOURS[m]) ? METHOD_COLOURS[m] : OTHER_COLOURS[other++ % OTHER_COLOURS.length];
    taken.add(c);
    return c;
  });
  return { domain: labels, range };
}

export const CONFIG = {
  font: FONT_FAMILY,
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, labelLimit: 320 },
  header: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, fontWeight: 'normal' as const, anchor: 'start' as const, subtitleFontSize: 11, subtitleColor: '#555' },
};

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The task's metric in words, and its scale (accuracy in %). */
export function metricWords(task: string): { name: string; scale: number; higherIsBetter: boolean } {
  const m = taskMetric(task);
  return { name: m.axis, scale: m.scale, higherIsBetter: m.higherIsBetter };
}
