import test from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, adviceFor } from '../bindings/index.js';
import { capabilities, temperatureAt, temperatures } from '../lib/index.js';
import { normRelativeError } from './helpers.js';

test('capabilities report LibTorch, CUDA, BLAS and threads', () => {
  const c = capabilities();
  assert.match(c.torchVersion, /^\d+\.\d+\.\d+/);
  assert.equal(typeof c.cudaAvailable, 'boolean');
  assert.equal(c.cudaDevices.length, c.cudaDeviceCount);
  assert.ok(c.hardwareThreads >= 1);
  assert.ok(c.threads >= 1);
  assert.equal(typeof c.blasLibrary, 'string');
});

test('load failures become advice', () => {
  assert.match(adviceFor('libtorch_cpu.so.1.13: cannot open shared object file: No such file or directory'), /libtorch_cpu\.so.*not found/);
  assert.match(adviceFor("undefined symbol: _ZN3c106detail14torchCheckFailEPKcS2_jRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"), /ABI/);
  assert.match(adviceFor("version `GLIBC_2.38' not found"), /glibc/);
  assert.match(adviceFor('No native build was found for platform=linux'), /npm run build:native/);
});

test('temperature schedule: T_b = T0 (TE/T0)^(b/E), fixed per epoch, TE never reached', () => {
  assert.equal(temperatureAt(0), 10);
  assert.ok(Math.abs(temperatureAt(100) - 10 * Math.pow(0.001, 0.5)) < 1e-12);
  const last = temperatureAt(199);
  assert.ok(Math.abs(last - 0.010350) < 1e-5, `last epoch at ${last}`);
  const all = temperatures({ t0: 10, tEnd: 0.01, epochs: 200 });
  assert.equal(all.length, 200);
  assert.ok(all.every((t, i) => i === 0 || t < all[i - 1]));
  assert.ok(Math.min(...all) > 0.01);
});

for (const [perSample, cache] of [[true, false], [false, false], [true, true], [false, true]]) {
  test(`fused selection kernel matches the materialised reference (${perSample ? 'per-sample' : 'per-batch'} noise${cache ? ', weights cached' : ''})`, async () => {
    const addon = loadNative();
    for (const [T, d] of [[1.0, 50], [0.05, 200], [8.0, 33]] as const) {
      const r = await addon.selectionCheck({ replicas: 2, batch: 6, k: 4, d, temperature: T, seed: 9, perSample, cache });
      // U[r,b,k] = <M, x_b> is a sum of terms of both signs: where it nearly cancels, an
      // element-wise relative error measures the cancellation, not the kernel (a float32 sum of
      // D terms of size ~1 is exact to ~1e-7 absolute). So: norm-wise, as for the gradient.
      const rel = normRelativeError;
      let worstAbsU = 0,
        scaleU = 0;
      for (let i = 0; i < r.fusedU.length; i++) {
        worstAbsU = Math.max(worstAbsU, Math.abs(r.fusedU[i] - r.referenceU[i]));
        scaleU = Math.max(scaleU, Math.abs(r.referenceU[i]));
      }
      const uError = rel(r.fusedU, r.referenceU);
      assert.ok(uError <= 1e-5, `forward relative error ${uError} at T=${T}`);
      assert.ok(worstAbsU <= 1e-5 * scaleU, `forward worst element error ${worstAbsU} (scale ${scaleU}) at T=${T}`);
      const gradError = rel(r.fusedGrad, r.referenceGrad);
      assert.ok(gradError <= 1e-5, `backward relative error ${gradError} at T=${T}`);
    }
  });
}

test('the counter-based noise is standard Gumbel (mean 0.5772, variance pi^2/6)', async () => {
  const r = await loadNative().selectionCheck({ replicas: 1, batch: 50, k: 10, d: 200, temperature: 1, seed: 3, perSample: true });
  const g = r.noiseSample;
  const n = g.length;
  const mean = g.reduce((a, b) => a + b, 0) / n;
  const variance = g.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean - 0.5772) < 4 * Math.sqrt(1.645 / n), `mean ${mean}`);
  assert.ok(Math.abs(variance - Math.PI ** 2 / 6) < 0.05, `variance ${variance}`);
  // CDF check at a few points: P(G <= t) = exp(-exp(-t))
  for (const t of [-1, 0, 1, 3]) {
    const p = g.filter((v) => v <= t).length / n;
    assert.ok(Math.abs(p - Math.exp(-Math.exp(-t))) < 0.01, `CDF at ${t}: ${p}`);
  }
});
