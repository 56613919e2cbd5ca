// feature-means.json: the training split's mean per feature, with the feature names, beside a run's
// results: the background of its selection map (the mean image, for image data).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../files/atomic.js';
import type { PreparedDataset } from '../datasets/dataset.js';

export const FEATURE_MEANS = 'feature-means.json';

export interface FeatureMeans {
  names: string[];
  values: number[];
}

export function featureMeans(data: PreparedDataset): FeatureMeans {
  const D = data.inputDim;
  const x = data.train.x;
  const n = x.length / D;
  const sum = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) sum[j] += x[i * D + j];
  return { names: data.featureNames.slice(0, D), values: Array.from(sum, (s) => Number((n ? s / n : 0).toPrecision(6))) };
}

export function writeFeatureMeans(dir: string, data: PreparedDataset): void {
  writeJsonAtomic(path.join(dir, FEATURE_MEANS), featureMeans(data));
}

/** The run's feature means, or undefined when it has none (runs before this file existed) or it is not one. */
export function readFeatureMeans(dir: string): FeatureMeans | undefined {
  const f = path.join(dir, FEATURE_MEANS);
  if (!existsSync(f)) return undefined;
  try {
    const m = JSON.parse(readFileSync(f, 'utf8')) as FeatureMeans;
    return Array.isArray(m.names) && Array.isArray(m.values) && m.names.length === m.values.length ? m : undefined;
  } catch {
    return undefined; // a damaged background is no reason to refuse a figure: it is drawn without
  }
}
