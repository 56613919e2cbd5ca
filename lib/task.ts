// Everything the task decides, in one place: its names, the decoder's output width, the metric
// (its key, words, scale and format). The trainer, both front doors (the library and ipcae-run),
// the summaries, the progress line, the reports and the figures read it from here.

export const TASKS = ['classification', 'reconstruction', 'regression'] as const;
export type Task = (typeof TASKS)[number];

/** The metric a task is scored with, as summaries and saved selections name it. */
export type MetricKey = 'accuracy' | 'mse' | 'reconstructionError';

export interface TaskMetric {
  key: MetricKey;
  /** In a sentence or a table heading ("test accuracy (%)"). */
  test: string;
  /** On the progress line. */
  val: string;
  /** The figures' axis title. */
  axis: string;
  /** Summaries and tables show accuracy in % (the trainer reports a fraction). */
  scale: 100 | 1;
  higherIsBetter: boolean;
}

const METRICS: Record<Task, TaskMetric> = {
  classification: { key: 'accuracy', test: 'test accuracy', val: 'val acc', axis: 'accuracy (%)', scale: 100, higherIsBetter: true },
  regression: { key: 'mse', test: 'test MSE', val: 'val mse', axis: 'MSE', scale: 1, higherIsBetter: false },
  reconstruction: { key: 'reconstructionError', test: 'test reconstruction error', val: 'val err', axis: 'reconstruction error (MSE)', scale: 1, higherIsBetter: false },
};

/** A metric's words by its key (summaries name the metric, not the task). */
export const metricByKey = (key: MetricKey): TaskMetric => Object.values(METRICS).find((m) => m.key === key) ?? METRICS.reconstruction;

/** The task's metric (an unknown task, e.g. from an old summary file: reconstruction's words). */
export const taskMetric = (task: string): TaskMetric => METRICS[task as Task] ?? METRICS.reconstruction;

/**
 * The decoder's output width: one unit per class, one for a regression target (a target is one
 * column), none for reconstruction (the decoder reproduces the D inputs; the trainer knows D).
 */
export function outputWidth(task: Task, classes: number): number {
  return task === 'classification' ? classes : task === 'regression' ? 1 : 0;
}

/** A value of a metric as tables print it: accuracy (already in %) to two decimals, errors in exponent form. */
export const formatMetric = (key: MetricKey, v: number, digits = 2): string => (key === 'accuracy' ? v.toFixed(digits) : v.toExponential(digits));
