// One build for every x86-64 CPU: ipcae's kernels come in baseline (x86-64-v2), AVX2 and AVX-512
// variants chosen at run time; IPCAE_ISA forces one. Each variant matches the reference kernel and
// is deterministic; the variants round differently, within float32 rounding of each other. A tiny
// fit runs under qemu-user emulating CPUs without AVX2 and without AVX-512 (no SIGILL).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { capabilities } from '../lib/index.js';

const child = path.resolve('dist/test/isa-child.js');
const ORDER = ['baseline', 'avx2', 'avx512'] as const;
type Fit = { isa: string; supportedIsa: string; trainLoss: number[][]; parameters: number[]; selected: number[][]; stg: { mu: number[]; valLoss: number[][]; parameters: Record<string, number[]> } };

function fit(env: Record<string, string>, wrap: string[] = []): { status: number | null; stderr: string; out?: Fit } {
  const cmd = wrap.length ? wrap[0] : process.execPath;
  const args = [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), child, '--isa-child'];
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { status: r.status, stderr: r.stderr, out: r.status === 0 ? (JSON.parse(r.stdout) as Fit) : undefined };
}

const supported = capabilities().supportedIsa;
// a -march=native build (npm run build:native -- --CDIPCAE_NATIVE_ARCH=ON) has one variant
const nativeBuild = capabilities().isa === 'native' ? 'this is a -march=native build: one kernel variant' : false;
const usable = ORDER.slice(0, ORDER.indexOf(supported) + 1);

test('the best variant the CPU supports is used unless IPCAE_ISA says otherwise', { skip: nativeBuild }, () => {
  const c = capabilities();
  assert.ok(ORDER.includes(c.supportedIsa));
  assert.equal(c.isa, process.env.IPCAE_ISA || c.supportedIsa);
});

test('every variant this CPU runs matches the reference kernel and is deterministic', { skip: nativeBuild }, () => {
  const results = new Map<string, Fit>();
  for (const isa of usable) {
    const a = fit({ IPCAE_ISA: isa });
    assert.equal(a.status, 0, `${isa}: ${a.stderr}`);
    assert.equal(a.out!.isa, isa);
    const b = fit({ IPCAE_ISA: isa });
    assert.deepEqual(b.out, a.out, `${isa}: two runs differ`);
    // the fused kernel against the materialising reference, in this variant
    const check = spawnSync(process.execPath, ['--test', path.resolve('dist/test/native.test.js')], { encoding: 'utf8', env: { ...process.env, IPCAE_ISA: isa } });
    assert.equal(check.status, 0, `${isa}: the kernel tests fail:\n${check.stdout.split('\n').filter((l) => /not ok|error/.test(l)).join('\n')}`);
    results.set(isa, a.out!);
  }
  // Across variants: the same maths, different rounding (FMA, vector width): the first epoch's
  // losses agree to float32 rounding; later ones may drift as rounding is amplified.
  const base = results.get('baseline')!;
  for (const [isa, r] of results) {
    // the baselines' Adam has variants too, written to give the baseline's bits (no FMA, IEEE
    // sqrt and division at any width): STG's parameters after three epochs are identical
    assert.deepEqual(r.stg, base.stg, `${isa} vs baseline: STG's parameters differ`);
    for (let s = 0; s < 2; s++) {
      const rel = Math.abs(r.trainLoss[0][s] - base.trainLoss[0][s]) / Math.abs(base.trainLoss[0][s]);
      assert.ok(rel < 1e-5, `${isa} vs baseline: first-epoch loss of seed ${s + 1} differs by ${rel}`);
    }
  }
});

test('IPCAE_ISA refuses a variant the CPU lacks and a name it does not know', { skip: nativeBuild }, () => {
  if (supported !== 'avx512') {
    const r = fit({ IPCAE_ISA: 'avx512' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /IPCAE_ISA=avx512 asks for instructions this CPU does not have \(it supports up to (baseline|avx2)\)/);
  }
  const bad = fit({ IPCAE_ISA: 'sse9' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /Expected 'baseline', 'avx2' or 'avx512' for IPCAE_ISA but received 'sse9'/);
});

function qemu(): string | undefined {
  const has = () => spawnSync('sh', ['-c', 'command -v qemu-x86_64'], { encoding: 'utf8' }).stdout.trim() || undefined;
  if (has()) return has();
  if (process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'qemu-user'], { env, stdio: 'ignore' });
    if (!has()) {
      spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
      spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'qemu-user'], { env, stdio: 'ignore' });
    }
  }
  return has();
}

const qemuBin = process.arch === 'x64' ? qemu() : undefined;
const qemuSkip = qemuBin ? false : process.env.IPCAE_REQUIRE_QEMU ? false : 'qemu-user is not available (Debian: apt-get install qemu-user)';

test('a tiny fit runs under emulated CPUs without AVX-512 (Haswell) and without AVX2 (Nehalem)', { skip: nativeBuild || qemuSkip, timeout: 900_000 }, () => {
  assert.ok(qemuBin, 'qemu-x86_64 is required here (IPCAE_REQUIRE_QEMU is set)');
  for (const [cpu, want] of [['Haswell', 'avx2'], ['Nehalem', 'baseline']] as const) {
    const r = fit({}, [qemuBin, '-cpu', cpu]);
    assert.equal(r.status, 0, `${cpu}: ${r.stderr.split('\n').filter((l) => !/TCG doesn't support/.test(l)).join('\n')}`);
    assert.equal(r.out!.supportedIsa, want, cpu);
    assert.equal(r.out!.isa, want, cpu);
    // The emulated CPU runs the same kernel variant as IPCAE_ISA=<want> here, but LibTorch and
    // OpenBLAS choose their own kernels by CPU too (on an emulated Nehalem, OpenBLAS's SSE ones):
    // the same numbers to float32 rounding, not always to the bit.
    if (usable.includes(want)) {
      const here = fit({ IPCAE_ISA: want }).out!;
      assert.deepEqual(r.out!.selected.length, here.selected.length);
      for (let s = 0; s < 2; s++) {
        const rel = Math.abs(r.out!.trainLoss[0][s] - here.trainLoss[0][s]) / Math.abs(here.trainLoss[0][s]);
        assert.ok(rel < 1e-5, `${cpu} vs IPCAE_ISA=${want} here: first-epoch loss of seed ${s + 1} differs by ${rel}`);
      }
    }
  }
});

// At low temperatures the selection's gradients underflow below FLT_MIN; unflushed, x86 handles
// each in microcode (a 10,000-feature table's epoch went from 8 s to 59 s at T = 0.1).
test('training flushes denormal floats to zero on every thread it uses', { skip: !['x64', 'arm64'].includes(process.arch) && 'no flush mode known here' }, () => {
  assert.equal(capabilities().denormalsFlushed, true);
});
