import assert from 'node:assert/strict';
import { tableFromArrays } from 'apache-arrow';
import { IpcaeError, Trainer, type TrainerOptionsInput, type DataInput, type PreparedDataset } from '../lib/index.js';

/** Asserts that fn throws or rejects with an IpcaeError of this code whose message matches. */
export function rejectsWith(fn: () => unknown, code: string, pattern: RegExp) {
  return assert.rejects(async () => fn(), (e: unknown) => {
    assert.ok(e instanceof IpcaeError, `expected an IpcaeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** ‖a − b‖ / ‖b‖ over all elements. */
export function normRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0,
    n = 0;
  for (let i = 0; i < a.length; i++) {
    e += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(e / n);
}

/** Small deterministic PRNG for test data (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Classification data whose label depends on a few features only. */
export function synthetic(opts: { rows: number; d: number; classes: number; seed: number; informative?: number[] }) {
  const r = rng(opts.seed);
  const inf = opts.informative ?? [0, 1];
  const x = new Float32Array(opts.rows * opts.d);
  const y = new Int32Array(opts.rows);
  for (let i = 0; i < opts.rows; i++) {
    let s = 0;
    for (let d = 0; d < opts.d; d++) x[i * opts.d + d] = normal(r);
    for (const f of inf) s += x[i * opts.d + f];
    // classes by quantiles of the sum of the informative features (sum ~ N(0, |inf|))
    const z = s / Math.sqrt(inf.length);
    const q = 0.5 * (1 + erf(z / Math.SQRT2));
    y[i] = Math.min(opts.classes - 1, Math.floor(q * opts.classes));
  }
  return { x, y };
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

export function splitData(x: Float32Array, y: Int32Array | Float32Array | undefined, d: number, nTrain: number, nVal: number, yWidth = 1): DataInput {
  const rows = x.length / d;
  const part = (a: number, b: number) => ({
    x: x.slice(a * d, b * d),
    y: y ? (y.slice(a * yWidth, b * yWidth) as Int32Array | Float32Array) : undefined,
  });
  return { train: part(0, nTrain), val: part(nTrain, nTrain + nVal), test: part(nTrain + nVal, rows) };
}

export async function tinyTrainer(over: Partial<TrainerOptionsInput> = {}, dataSeed = 5) {
  const d = over.inputDim ?? 12;
  const classes = over.outputDim ?? 3;
  const { x, y } = synthetic({ rows: 96, d, classes, seed: dataSeed });
  const t = new Trainer({ inputDim: d, k: 3, outputDim: classes, hidden: [8], batchSize: 16, seeds: [11], threads: 2, ...over });
  await t.setData(splitData(x, y, d, 64, 16));
  return t;
}

/** A small Arrow table as a pipeline would hand it over: non-ASCII names, an id column, a string target. */
export function pipelineTable(rows: number, seed: number) {
  const r = rng(seed);
  const cols: Record<string, Float32Array> = {};
  const names = ['sensor α', 'temperature (°C)', 'noise one', 'noise two', 'noise three', 'noise four'];
  for (const n of names) cols[n] = new Float32Array(rows);
  const label: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (const n of names) cols[n][i] = r() * 10;
    label.push(cols['sensor α'][i] + cols['temperature (°C)'][i] > 10 ? 'high' : 'low');
  }
  return tableFromArrays({ ...cols, id: Int32Array.from({ length: rows }, (_, i) => i), label });
}

/**
 * Unix compress (.Z) encoder, as ncompress writes it (16-bit codes, block mode): used to build the
 * files UCI serves for ISOLET. Emits a clear code whenever the table fills, to exercise that path.
 */
export function compressZ(input: Uint8Array, maxBits = 16): Uint8Array {
  const out: number[] = [0x1f, 0x9d, 0x80 | maxBits];
  const maxMaxCode = 1 << maxBits;
  let nBits = 9,
    maxCode = (1 << nBits) - 1,
    freeEnt = 257;
  let acc = 0,
    accBits = 0,
    groupBytes = 0; // bytes written in the current group of nBits bytes
  const put = (code: number) => {
    acc |= code << accBits;
    accBits += nBits;
    while (accBits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      accBits -= 8;
      groupBytes = (groupBytes + 1) % nBits;
    }
  };
  const padGroup = () => {
    if (accBits > 0) {
      out.push(acc & 0xff);
      groupBytes = (groupBytes + 1) % nBits;
      acc = 0;
      accBits = 0;
    }
    while (groupBytes !== 0) {
      out.push(0);
      groupBytes = (groupBytes + 1) % nBits;
    }
  };
  const table = new Map<number, number>();
  const output = (code: number, clear = false) => {
    put(code);
    if (freeEnt > maxCode || clear) {
      padGroup();
      if (clear) nBits = 9;
      else nBits++;
      maxCode = nBits === maxBits ? maxMaxCode : (1 << nBits) - 1;
    }
  };
  if (input.length === 0) return Uint8Array.from(out);
  let ent = input[0];
  for (let i = 1; i < input.length; i++) {
    const c = input[i];
    const key = ent * 256 + c;
    const hit = table.get(key);
    if (hit !== undefined) {
      ent = hit;
      continue;
    }
    output(ent);
    ent = c;
    if (freeEnt < maxMaxCode) table.set(key, freeEnt++);
    else {
      table.clear();
      freeEnt = 257;
      output(256, true);
    }
  }
  output(ent);
  if (accBits > 0) out.push(acc & 0xff); // the last partial byte only: padding would read as more codes
  return Uint8Array.from(out);
}

/** Counts turns of the event loop (a chain of setImmediate) until stop() is called, which returns the count. */
export function countLoopTurns(): { stop(): number } {
  let ticks = 0;
  let stopped = false;
  const tick = () => {
    ticks++;
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      stopped = true;
      return ticks;
    },
  };
}

/** A trainer's flat parameters (all replicas; `getParameters()` unless given) cut into its named blocks. */
export function parameterBlocks(t: Trainer, flat: Float64Array = t.getParameters()): { name: string; values: Float64Array }[] {
  let at = 0;
  return t.parameterLayout().map((p) => {
    const n = t.replicas * p.shape.reduce((a, b) => a * b, 1);
    const values = flat.slice(at, at + n);
    at += n;
    return { name: p.name, values };
  });
}

/** Synthetic classification data as a prepared dataset (rows split nTrain / nVal / the rest, in order). */
export function syntheticDataset(o: { rows: number; d: number; classes: number; seed: number; nTrain: number; nVal: number }): PreparedDataset {
  const { x, y } = synthetic({ rows: o.rows, d: o.d, classes: o.classes, seed: o.seed });
  const s = splitData(x, y, o.d, o.nTrain, o.nVal);
  const idx = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return {
    name: 'synthetic',
    featureNames: Array.from({ length: o.d }, (_, j) => `f${j}`),
    classNames: Array.from({ length: o.classes }, (_, c) => String(c)),
    inputDim: o.d,
    classes: o.classes,
    train: s.train as PreparedDataset['train'],
    val: s.val as PreparedDataset['val'],
    test: s.test as PreparedDataset['test'],
    indices: { train: idx(0, o.nTrain), val: idx(o.nTrain, o.nTrain + o.nVal), test: idx(o.nTrain + o.nVal, o.rows) },
    sources: [],
  };
}
