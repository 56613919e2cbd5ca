// How much memory and work one replica group needs, from its shapes alone, before anything is
// allocated: printed by `ipcae-run --dry-run`, stored in the manifest, and checked against the memory
// available (or --memory-limit) so that a run that cannot fit is refused before training
// (ERR_MEMORY_BUDGET) instead of dying in the OOM killer or at its first checkpoint.
//
// The model counts what the trainer holds (docs/perf.md, "Memory model", lists each term):
//   state:        parameters, best parameters, gradients and Adam's two moments: 5 × R × n × s
//   data:         what reading the table left in the JS heap (the file, the Arrow table, a float64
//                 column block, the float32 splits: 13–17 bytes per value measured, 14 counted) and the
//                 trainer's copy (s per value, and s more while it is converted)
//   step:         the logits and their gradient [R, K, D] and the selector's backward terms; per-batch
//                 noise adds the noise, the noisy logits, the softmax and its gradient ([R, K, D] each);
//                 the decoder's activations [R, B, width]
//   evaluation:   the decoder on up to evalBatchSize rows at a time
//   checkpoint:   the saved state (parameters, best, Adam's moments: 4 × R × n × s) in JS Buffers while
//                 it is written, plus half as much again for the native copy (freed chunk by chunk,
//                 partly kept by the allocator: measured); at the same time as the training memory,
//                 never at the same time as a step
//   results:      one replica's parameters (float32) and its K × D probabilities, at the end
// plus the process itself (Node, LibTorch, OpenBLAS) and, once the products are not tiny, their
// working buffers: constants measured on this machine. The RSS of one run varies by ±10 % with the
// garbage collector's timing; the model is checked against measured peaks in docs/perf.md.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { IpcaeError } from '../errors.js';
import type { Task } from '../task.js';

export interface ShapeInput {
  /** Features D, rows per split, the classes or target width (0 for reconstruction). */
  inputDim: number;
  rows: { train: number; val: number; test: number };
  outputDim: number;
  task: Task;
  k: number;
  /** 'cae' or an IP selector with its weights; p: the embedding size (0: P = D). */
  selector: 'cae' | 'ip';
  ipWeights?: 'shared' | 'diag' | 'scalar';
  p: number;
  ipBias?: boolean;
  hidden: number[];
  batchSize: number;
  replicas: number;
  noise: 'per-sample' | 'per-batch';
  dtype?: 'float32' | 'float64';
  evalBatchSize?: number;
}

export interface MemoryEstimate {
  /** Parameters per replica. */
  parametersPerReplica: number;
  /** Bytes, by term (each for the whole replica group). */
  terms: { process: number; data: number; state: number; step: number; evaluation: number; checkpoint: number; results: number };
  /** The peak of host memory (bytes): process + data + state + the largest of step, evaluation, checkpoint and results. */
  peakBytes: number;
  /** Multiply-adds per epoch of the selector, the relaxed selection and the decoder (for a time estimate). */
  workPerEpoch: { selector: number; selection: number; decoder: number };
}

/** Node + LibTorch + OpenBLAS with the addon loaded and a small run going (RSS measured on this machine). */
export const PROCESS_BYTES = 260 * 2 ** 20;
/** What LibTorch and OpenBLAS keep once a run's products are not tiny (measured: 150–250 MiB at D ≥ 784). */
export const WORKING_BUFFER_BYTES = 200 * 2 ** 20;

export function estimateMemory(o: ShapeInput): MemoryEstimate {
  const s = o.dtype === 'float64' ? 8 : 4;
  const D = o.inputDim,
    K = o.k,
    R = o.replicas,
    B = Math.min(o.batchSize, o.rows.train);
  const P = o.p > 0 ? o.p : D;
  const O = o.task === 'reconstruction' ? D : Math.max(o.outputDim, 1);
  const shared = o.selector === 'ip' && (o.ipWeights ?? 'shared') === 'shared';
  let selector: number;
  if (o.selector === 'cae') selector = K * D;
  else if (shared) selector = K * P + P * D + (o.ipBias === false ? 0 : D);
  else selector = K * D + (o.ipWeights === 'diag' ? D : 1) + (o.ipBias === false ? 0 : D);
  let decoder = 0;
  let width = K;
  for (const h of o.hidden) {
    decoder += width * h + 4 * h; // weight, bias, LayerNorm's two vectors
    width = h;
  }
  decoder += width * O + O;
  const n = selector + decoder;
  const N = o.rows.train + o.rows.val + o.rows.test;
  const data = N * D * (14 + 2 * s);
  const state = 5 * R * n * s;
  const rkd = R * K * D * s;
  // the logits and their gradient; the IP selector's backward reads ψᵀ·dL into the gradient buffer
  // through a temporary of the same size as its weight gradient
  const selectorStep = 2 * rkd + (shared ? R * P * D * s : 0);
  const selectionStep = o.noise === 'per-batch' ? 5 * rkd : R * B * K * 3 * s;
  const activations = R * B * (o.hidden.reduce((a, h) => a + 4 * h, 0) + 3 * O) * s;
  const step = selectorStep + selectionStep + activations;
  const evalRows = Math.min(o.evalBatchSize ?? 2048, Math.max(o.rows.val, o.rows.test, 1));
  const evaluation = R * evalRows * (K + o.hidden.reduce((a, h) => a + 3 * h, 0) + 2 * O) * s + 2 * rkd;
  const checkpoint = 6 * R * n * s;
  const results = n * 4 * 2 + K * D * 4 * 2 + K * D * 12;
  // LibTorch's and OpenBLAS's working buffers, touched once the products are not tiny (measured)
  const buffers = D >= 500 ? WORKING_BUFFER_BYTES : 0;
  const peakBytes = PROCESS_BYTES + buffers + data + state + Math.max(step, evaluation, checkpoint, results);
  const steps = Math.ceil(o.rows.train / B);
  return {
    parametersPerReplica: n,
    terms: { process: PROCESS_BYTES, data, state, step, evaluation, checkpoint, results },
    peakBytes,
    workPerEpoch: {
      selector: shared ? 3 * R * K * P * D * steps : 3 * R * K * D * steps,
      selection: o.noise === 'per-batch' ? 2 * R * K * D * (B + 3) * steps : 2 * R * o.rows.train * K * D,
      decoder: 3 * R * o.rows.train * (decoder - O),
    },
  };
}

/**
 * The memory this process may use: the cgroup's limit when one is set (a container, a Slurm job
 * with --mem), else the machine's memory; never more than the memory the machine has.
 */
export function availableMemory(): number {
  let limit = os.totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = readFileSync(file, 'utf8').trim();
      if (/^\d+$/.test(v)) limit = Math.min(limit, Number(v));
    } catch {
      // no such cgroup file
    }
  }
  return limit;
}

export const formatGiB = (bytes: number) => (bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`);

/** The estimate as a few lines for a person (the dry run). */
export function describeEstimate(e: MemoryEstimate, limit: number): string[] {
  const t = e.terms;
  return [
    `memory estimate (peak): ${formatGiB(e.peakBytes)} of ${formatGiB(limit)} available`,
    `  parameters ${e.parametersPerReplica.toLocaleString('en-US')} per replica; state ${formatGiB(t.state)} (parameters, best, gradients, Adam), data ${formatGiB(t.data)}`,
    `  largest transient: ${(['step', 'evaluation', 'checkpoint', 'results'] as const).map((k) => `${k} ${formatGiB(t[k])}`).join(', ')}; process ${formatGiB(t.process)}`,
    `work per epoch: ${(['selector', 'selection', 'decoder'] as const).map((k) => `${k} ${(e.workPerEpoch[k] / 1e9).toFixed(2)} G multiply-adds`).join(', ')}`,
  ];
}

/** How many of `seeds` replicas fit together within `limit` (the largest n whose estimate does); 0: not one. */
export function replicasThatFit(estimateFor: (replicas: number) => MemoryEstimate, seeds: number, limit: number): number {
  let fit = 0;
  while (fit < seeds && estimateFor(fit + 1).peakBytes <= limit) fit++;
  return fit;
}

/**
 * ERR_MEMORY_BUDGET for an estimate above `limit`: the numbers and what to change. `flags`: how the
 * caller spells the settings (the CLI's flags, or the library's option names).
 */
export function memoryBudgetError(
  e: MemoryEstimate,
  limit: number,
  run: { seeds: number; seedsFit: number; D: number; k: number; ip: boolean; p: number; noise: string; where: string },
  flags: { p: string; method: string; noise: string; seeds: string },
): IpcaeError {
  const P = run.p || run.D;
  const hints = [
    ...(run.seeds > 1 && run.seedsFit >= 1 ? [`fewer seeds (${run.seedsFit} of the ${run.seeds} fit together; ${flags.seeds})`] : []),
    ...(run.ip && P > 256 ? [`a smaller embedding size (${flags.p} 256, say; P = ${P} now)`, `${flags.method} cae (no P × D matrix)`] : []),
    ...(run.noise === 'per-batch' ? [`${flags.noise} per-sample (no K × D softmax per replica held)`] : []),
  ];
  return new IpcaeError(
    'ERR_MEMORY_BUDGET',
    `This run needs about ${formatGiB(e.peakBytes)} of memory (estimated before training: ${e.parametersPerReplica.toLocaleString('en-US')} parameters per seed × ${run.seeds} seed(s), D = ${run.D}, K = ${run.k}) but ${formatGiB(limit)} is available (${run.where}); nothing was trained or written.${hints.length ? ` Try ${hints.join('; or ')}.` : ''}`,
  );
}
