// The fused CUDA selection kernel. Here (no GPU): its maths compiled for the host, in the device's
// order of operations, against the float64 reference and the CPU kernel; nvcc's resource report.
// On a GPU machine (scripts/gpu-check.sh; IPCAE_TEST_DEVICE picks the device, default cuda): the
// kernel against that emulation bit for bit, and training on the device.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../bindings/index.js';
import { capabilities, Trainer } from '../lib/index.js';
import { synthetic, splitData, normRelativeError } from './helpers.js';

const caps = capabilities();
const device = process.env.IPCAE_TEST_DEVICE?.startsWith('cuda') ? process.env.IPCAE_TEST_DEVICE : 'cuda';
const noGpu = caps.cudaAvailable && caps.cudaKernels ? false : 'needs a CUDA device and a build with the CUDA kernel (scripts/gpu-check.sh)';

// Norm-wise (element-wise would measure cancellation in U = <M, x>, not the kernel).
const rel = normRelativeError;
function sameBits(a: Float64Array, b: Float64Array, what: string) {
  assert.equal(a.length, b.length, what);
  let diff = 0,
    first = -1;
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) {
      diff++;
      if (first < 0) first = i;
    }
  assert.equal(diff, 0, `${what}: ${diff} of ${a.length} values differ (first at ${first}: ${a[first]} vs ${b[first]})`);
}

// B >= 16 makes the backward pass sum the batch in several slices; B = 6 in one.
const shapes = [
  { replicas: 2, batch: 6, k: 4, d: 50, temperature: 1, perSample: true },
  { replicas: 2, batch: 64, k: 4, d: 50, temperature: 0.05, perSample: true },
  { replicas: 1, batch: 40, k: 3, d: 33, temperature: 8, perSample: false },
  { replicas: 3, batch: 128, k: 5, d: 200, temperature: 0.3, perSample: true },
  { replicas: 1, batch: 17, k: 2, d: 7, temperature: 2, perSample: true },
];

test('the CUDA kernel maths (host emulation) matches the float64 reference and the CPU kernel', async () => {
  const addon = loadNative();
  for (const s of shapes) {
    const e = await addon.selectionCheck({ ...s, seed: 9, kernel: 'emulated' });
    const c = await addon.selectionCheck({ ...s, seed: 9, kernel: 'cpu' });
    const at = JSON.stringify(s);
    assert.ok(rel(e.fusedU, e.referenceU) <= 1e-5, `forward vs reference ${rel(e.fusedU, e.referenceU)} at ${at}`);
    assert.ok(rel(e.fusedGrad, e.referenceGrad) <= 1e-5, `backward vs reference ${rel(e.fusedGrad, e.referenceGrad)} at ${at}`);
    // the same inputs were drawn for both kernels
    sameBits(e.referenceU, c.referenceU, 'reference U');
    assert.ok(rel(e.fusedU, c.fusedU) <= 1e-5, `forward vs the CPU kernel at ${at}`);
    assert.ok(rel(e.fusedGrad, c.fusedGrad) <= 1e-5, `backward vs the CPU kernel at ${at}`);
  }
});

test('the kernels draw the reference noise: the shared hash, and Gumbel values within float rounding', async () => {
  const n = 4000;
  const r = await loadNative().selectionCheck({ replicas: 1, batch: 10, k: 4, d: 100, temperature: 1, seed: 5, perSample: true, kernel: 'emulated', noiseProbe: n });
  assert.ok(r.probeHash && r.probeGumbel);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(Number.isInteger(r.probeHash[i]) && r.probeHash[i] >= 0 && r.probeHash[i] < 2 ** 32);
    // counter i of replica 0 is element i of the materialised [1, B, K, D] reference noise (tensor ops, libm log)
    worst = Math.max(worst, Math.abs(r.probeGumbel[i] - r.noiseSample[i]) / Math.max(1, Math.abs(r.noiseSample[i])));
  }
  assert.ok(worst <= 2e-6, `kernel noise vs reference noise: ${worst}`);
  // and it is the hash that decides: u = ((h >> 9) + 0.5) 2^-23, G = -log(-log u)
  for (const i of [0, 1, 777, n - 1]) {
    const u = (Math.floor(r.probeHash[i] / 512) + 0.5) * 2 ** -23;
    assert.ok(Math.abs(-Math.log(-Math.log(u)) - r.probeGumbel[i]) < 1e-5);
  }
});

test('the trainer says which selection code runs; a kernel name that does not exist is refused', async () => {
  const opts = { inputDim: 6, k: 2, outputDim: 2, seeds: [1] };
  const a = new Trainer(opts),
    b = new Trainer({ ...opts, fusedSelection: false });
  assert.equal(a.info().selectionPath, 'fused-cpu');
  assert.equal(b.info().selectionPath, 'tensor-ops');
  a.dispose();
  b.dispose();
  const addon = loadNative();
  await assert.rejects(addon.selectionCheck({ replicas: 1, batch: 2, k: 1, d: 3, temperature: 1, seed: 1, perSample: true, kernel: 'gpu' as never }),
    /Expected 'cpu', 'emulated' or 'cuda' for kernel but received 'gpu'/);
  if (!caps.cudaAvailable)
    await assert.rejects(addon.selectionCheck({ replicas: 1, batch: 2, k: 1, d: 3, temperature: 1, seed: 1, perSample: true, kernel: 'cuda' }),
      /no CUDA device/);
});

test('nvcc compiles the CUDA kernel for sm_75 and sm_90 without register spills', (t) => {
  const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' });
  if (nvcc.status !== 0) return t.skip('no nvcc on this machine');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-nvcc-'));
  try {
    const root = path.resolve('.');
    const src = path.join(root, 'native', 'core', 'selection', 'cuda', 'selection_kernels.cu');
    assert.ok(existsSync(src), src);
    const r = spawnSync('nvcc', ['-c', '-std=c++17', '-O3', '--fmad=false', '-Xptxas', '-v', '-gencode', 'arch=compute_75,code=sm_75',
      '-gencode', 'arch=compute_90,code=sm_90', '-I', path.join(root, 'native', 'core', 'selection'), '-I', path.join(root, 'native', 'core', 'platform'), src, '-o', path.join(dir, 'k.o')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const report = r.stdout + r.stderr;
    const spills = [...report.matchAll(/(\d+) bytes spill stores, (\d+) bytes spill loads/g)];
    assert.ok(spills.length >= 14, `expected a resource line per kernel and architecture:\n${report}`);
    for (const m of spills) assert.ok(m[1] === '0' && m[2] === '0', `register spills: ${m[0]}\n${report}`);
    for (const k of ['forward_kernel', 'backward_kernel', 'sum_slices_kernel', 'noise_probe_kernel']) assert.match(report, new RegExp(k));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CUDA kernel = its host emulation bit for bit (float32), and the float64 reference within 1e-5', { skip: noGpu }, async () => {
  const addon = loadNative();
  for (const s of shapes) {
    const g = await addon.selectionCheck({ ...s, seed: 9, kernel: 'cuda', device, noiseProbe: 3000 });
    const e = await addon.selectionCheck({ ...s, seed: 9, kernel: 'emulated', noiseProbe: 3000 });
    const at = JSON.stringify(s);
    assert.ok(rel(g.fusedU, g.referenceU) <= 1e-5, `forward vs reference ${rel(g.fusedU, g.referenceU)} at ${at}`);
    assert.ok(rel(g.fusedGrad, g.referenceGrad) <= 1e-5, `backward vs reference ${rel(g.fusedGrad, g.referenceGrad)} at ${at}`);
    sameBits(g.probeHash!, e.probeHash!, `noise hash at ${at}`);
    sameBits(g.probeGumbel!, e.probeGumbel!, `Gumbel noise at ${at}`);
    sameBits(g.fusedU, e.fusedU, `U at ${at}`);
    sameBits(g.fusedGrad, e.fusedGrad, `dL at ${at}`);
  }
});

async function trainOn(dev: string, fusedSelection: boolean, seeds = [11, 22]) {
  const d = 40;
  const { x, y } = synthetic({ rows: 400, d, classes: 3, seed: 3, informative: [2, 17, 31] });
  const t = new Trainer({ inputDim: d, k: 3, outputDim: 3, hidden: [16], batchSize: 32, seeds, device: dev, fusedSelection, noise: 'per-sample' });
  await t.setData(splitData(x, y, d, 300, 50));
  const r = await t.fit({ epochs: 12 });
  t.dispose();
  return r;
}

test('training on CUDA: the fused kernel and the tensor-op path agree; the same seed gives the same run', { skip: noGpu }, async () => {
  const probe = new Trainer({ inputDim: 6, k: 2, outputDim: 2, seeds: [1], device });
  assert.equal(probe.info().selectionPath, 'fused-cuda');
  probe.dispose();
  const a = await trainOn(device, true);
  const b = await trainOn(device, true);
  const ref = await trainOn(device, false);
  const cpu = await trainOn('cpu', true);
  const losses = (f: Awaited<ReturnType<typeof trainOn>>, r: number) => f.history.map((h) => h.replicas[r].trainLoss);
  for (let r = 0; r < a.replicas.length; r++) {
    assert.deepEqual(a.replicas[r].selected, b.replicas[r].selected, 'same seed, same selection');
    const la = losses(a, r), lb = losses(b, r), lr = losses(ref, r), lc = losses(cpu, r);
    for (let e = 0; e < la.length; e++) assert.ok(Math.abs(la[e] - lb[e]) <= 1e-6 * Math.abs(lb[e]), `epoch ${e}: ${la[e]} vs ${lb[e]}`);
    // the two paths sum in different orders: the losses drift apart slowly, not at once
    assert.ok(Math.abs(la[0] - lr[0]) <= 1e-4 * Math.abs(lr[0]), `first epoch: fused ${la[0]} vs tensor ops ${lr[0]}`);
    assert.ok(Number.isFinite(lc[0]) && Number.isFinite(la[la.length - 1]));
  }
});

test('scripts/gpu-check.sh parses, and its target arithmetic reads the benchmark lines', () => {
  const root = path.resolve('.');
  const syntax = spawnSync('bash', ['-n', path.join(root, 'scripts', 'gpu-check.sh')], { encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-gpucheck-'));
  try {
    const bench = path.join(dir, 'bench.log'),
      loop = path.join(dir, 'loop.log');
    writeFileSync(bench, 'mnist-shape  cuda  R=1  threads=16  0.020 s/epoch  (selection fused-cuda; median of 5)\nmnist-shape  cuda  R=10  threads=16  0.045 s/epoch  (selection fused-cuda; median of 5)\n');
    writeFileSync(loop, 'pytorch-loop  mnist-shape  cuda  R=1  0.900 s/epoch  (2.70 s total)\n');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'gpu-check.mjs'), 'targets', '--bench', bench, '--loop', loop], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ten seeds x 200 epochs \(R=10, cuda\): 9\.0 s \(target <= 10 s on an H100\/H200: met\)/);
    assert.match(r.stdout, /1800 s for ten seeds x 200 epochs; ipcae 200x faster \(target >= 100x: met\)/);
    const bad = spawnSync(process.execPath, [path.join(root, 'scripts', 'gpu-check.mjs'), 'kernel'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /expected 'kernels', 'determinism' or 'targets' but received 'kernel'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
