// The one fit of a selector method (IP-CAE, its variants, CAE) behind both front doors — the library
// (selectFeatures, FeatureSelector, sweepK) and ipcae-run (run directories, Slurm tasks): train a
// replica group on prepared splits, then decide every seed's result — divergence, the selection
// (argmax, or K distinct features by assignment), the decoder's metric on it (finetuned when asked),
// R², and the retrained-MLP evaluation. The front doors add what is theirs around it: files,
// checkpoints, progress, the result's shape. Where they differ is a policy value here
// (docs/library.md: "What the library and ipcae-run decide differently").
import type { Trainer, EpochMetrics } from '../train/trainer.js';
import { temperatures, DEFAULT_SCHEDULE } from '../train/schedule.js';
import { retrainNative, type BaselineSplits } from '../baselines/native.js';
import type { NativeBaselineOptions } from '../baselines/options.js';
import { distinctSelection } from '../stats/assignment.js';
import { populationVariance } from '../stats/stats.js';
import type { Task } from '../task.js';

export interface SelectorTraining {
  epochs: number;
  /** The temperature schedule's start and end (default: the paper's 10 → 0.01). */
  temperature?: { start: number; end: number };
  /** Train in chunks of this many epochs with `afterChunk` after each (checkpoints); default: one chunk. */
  chunk?: number;
  afterChunk?: () => Promise<void>;
  onEpoch?: (m: EpochMetrics) => void;
  signal?: AbortSignal;
}

/**
 * Trains the trainer from its current epoch (0, or where a loaded checkpoint left it) to `epochs`.
 * No evaluation happens here: the results are read once, after (selectorOutcomes).
 */
export async function trainSelector(trainer: Trainer, t: SelectorTraining): Promise<void> {
  const schedule = { t0: t.temperature?.start ?? DEFAULT_SCHEDULE.t0, tEnd: t.temperature?.end ?? DEFAULT_SCHEDULE.tEnd, epochs: t.epochs };
  let epoch = trainer.info().epoch;
  while (epoch < t.epochs) {
    const until = Math.min(t.epochs, epoch + (t.chunk ?? t.epochs));
    await trainer.trainEpochs(temperatures(schedule, epoch, until), t.onEpoch, t.signal);
    epoch = trainer.info().epoch;
    await t.afterChunk?.();
  }
}

export interface SelectionPolicy {
  /**
   * 'result': a seed whose argmax repeats a feature gets K distinct features by assignment, and they
   * are its result (the library's default); 'beside': the argmax selection is the result (the
   * paper's protocol, ipcae-run) and the distinct one is tested beside it; 'off': argmax only.
   */
  distinct: 'result' | 'beside' | 'off';
  /** 'result' only: decoder-only epochs on the final selections when distinct selections changed a seed (0: none). */
  finetune: number;
  /** The retrained-MLP evaluation of every seed's argmax selection (ipcae-run --retrain). */
  retrain?: { epochs: number; options: NativeBaselineOptions; splits: BaselineSplits };
}

export interface SeedOutcome {
  /** The seed's replica in the trainer (its parameters: trainer.replicaParameters(replica)). */
  replica: number;
  seed: number;
  bestEpoch: number;
  /** softmax of the best-validation logits, K × D. */
  probabilities: Float32Array;
  /** The argmax selection and the decoder's results on it (best-validation parameters). */
  argmax: { selected: number[]; bestValLoss: number; test: { loss: number; metric: number } };
  /** When the argmax repeats a feature and distinct is not 'off': K distinct features and the decoder's test metric on them (its validation loss too under 'result'). */
  distinct?: { selected: number[]; testMetric: number; valLoss?: number };
  /** The seed's result: the distinct selection's under 'result' when it changed (or the decoders were finetuned), else the argmax's. */
  result: { selected: number[]; bestValLoss: number; testMetric: number };
  /** Regression: 1 − (result's MSE) / the variance of the test targets. */
  r2?: number;
  retrained?: { testMetric: number; testLoss: number; bestEpoch: number };
}

export interface SelectorOutcomes {
  /** The seeds that finished, in the trainer's order. */
  seeds: SeedOutcome[];
  /** Seeds whose loss became non-finite: no result (0-based epoch). */
  diverged: { seed: number; epoch: number }[];
  /** Decoder-only epochs run on the final selections (0 when none were). */
  finetuned: number;
}

/** Every seed's result after training, as the policy says (the trainer's best parameters are finetuned when asked). */
export async function selectorOutcomes(
  trainer: Trainer,
  policy: SelectionPolicy,
  data: { task: Task; yTest?: ArrayLike<number> },
): Promise<SelectorOutcomes> {
  const { k, inputDim: D } = trainer.options;
  const all = await trainer.results();
  const distinct = all.map((r) => (policy.distinct === 'off' ? r.selected : distinctSelection(r.probabilities, k, D, r.selected)));
  const changed = all.map((r, i) => distinct[i] !== r.selected);
  const anyChanged = changed.some(Boolean);
  const finetuned = policy.distinct === 'result' && anyChanged && policy.finetune > 0 ? policy.finetune : 0;
  // The decoders on the distinct selections (every seed's, the unchanged ones too: one native call).
  if (finetuned) await trainer.finetune(finetuned, { selection: distinct });
  const val = anyChanged && policy.distinct === 'result' ? await trainer.evaluate('val', { selection: distinct }) : undefined;
  const test = anyChanged ? await trainer.evaluate('test', { selection: distinct }) : undefined;
  const variance = data.task === 'regression' && data.yTest ? populationVariance(data.yTest) : 0;
  const finished = all.filter((r) => r.divergedAtEpoch === null);
  const seeds: SeedOutcome[] = finished.map((r) => {
    const i = all.indexOf(r);
    const asResult = policy.distinct === 'result' && (changed[i] || finetuned > 0);
    const result = asResult
      ? { selected: distinct[i], bestValLoss: val!.loss[i], testMetric: test!.metric[i] }
      : { selected: r.selected, bestValLoss: r.bestValLoss, testMetric: r.test.metric };
    return {
      replica: i,
      seed: r.seed,
      bestEpoch: r.bestEpoch,
      probabilities: r.probabilities,
      argmax: { selected: r.selected, bestValLoss: r.bestValLoss, test: r.test },
      ...(changed[i] ? { distinct: { selected: distinct[i], testMetric: test!.metric[i], ...(val ? { valLoss: val.loss[i] } : {}) } } : {}),
      result,
      ...(variance > 0 ? { r2: 1 - result.testMetric / variance } : {}),
    };
  });
  if (policy.retrain && seeds.length) {
    const { epochs, options, splits } = policy.retrain;
    const re = await retrainNative({ ...options, seeds: seeds.map((s) => s.seed) }, splits, seeds.map((s) => s.argmax.selected), epochs);
    seeds.forEach((s, j) => (s.retrained = { testMetric: re.testMetric[j], testLoss: re.testLoss[j], bestEpoch: re.bestEpoch[j] }));
  }
  const diverged = all.filter((r) => r.divergedAtEpoch !== null).map((r) => ({ seed: r.seed, epoch: r.divergedAtEpoch! }));
  return { seeds, diverged, finetuned };
}

/** "seed 11 at epoch 4, seed 22 at epoch 9" (epochs counted from 1, as the screen counts them). */
export const divergedList = (d: { seed: number; epoch: number }[]): string => d.map((x) => `seed ${x.seed} at epoch ${x.epoch + 1}`).join(', ');
