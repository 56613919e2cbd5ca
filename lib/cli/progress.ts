// Training progress for a person. On a terminal: one line, redrawn in place by cli-progress, that
// always fits the terminal's width whatever the number of seeds (the seeds as mean [min–max]);
// elsewhere (a log file, a pipe): one plain line per epoch.
import cliProgress from 'cli-progress';
import type { EpochMetrics } from '../train/trainer.js';
import { formatMetric, taskMetric } from '../task.js';

export interface ProgressInfo {
  task: string;
  epochs: number;
}


/** Mean [min–max] of the live seeds, or the one value. */
function spread(values: number[], fmt: (v: number) => string): string {
  if (!values.length) return '—';
  if (values.length === 1) return fmt(values[0]);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${fmt(mean)} [${fmt(Math.min(...values))}–${fmt(Math.max(...values))}]`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The status line for one epoch, at most `width` columns: the bar takes what the text leaves; when
 * the width is short the less needed parts go first (s/epoch, unique %, temperature) to leave the bar
 * at least 10 columns; narrower still, the bar goes too.
 */
export function statusLine(m: EpochMetrics, info: ProgressInfo, secondsPerEpoch: number, width: number, withBar = true): string {
  const live = m.replicas.filter((r) => !r.diverged);
  const task = taskMetric(info.task);
  const diverged = m.replicas.length - live.length;
  const metric = spread(
    live.map((r) => task.scale * r.valMetric),
    (v) => formatMetric(task.key, v, task.key === 'accuracy' ? 1 : 2),
  );
  const parts = {
    epoch: `epoch ${m.epoch + 1}/${info.epochs}`,
    temperature: `T=${m.temperature.toPrecision(3)}`,
    metric: `${task.val} ${metric}${diverged ? ` (${diverged} diverged)` : ''}`,
    unique: `uniq% ${spread(live.map((r) => r.uniquePct), (v) => v.toFixed(0))}`,
    speed: `${secondsPerEpoch.toFixed(2)} s/ep`,
    eta: `ETA ${duration((info.epochs - m.epoch - 1) * secondsPerEpoch)}`,
  };
  const order: (keyof typeof parts)[] = ['epoch', 'temperature', 'metric', 'unique', 'speed', 'eta'];
  const dropFirst: (keyof typeof parts)[] = ['speed', 'unique', 'temperature'];
  const shown = new Set(order);
  const text = () => order.filter((k) => shown.has(k)).map((k) => parts[k]);
  const len = (withBar: number) => text().join('  ').length + (withBar ? withBar + 2 : 0);
  const barWidth = (w: number) => Math.min(30, w - len(0) - 2);
  const max = Math.max(1, width - 1); // the last column left free: some terminals wrap on it
  // Room for a bar of at least 10 columns when a bar is wanted (80 columns, ten seeds: s/epoch and
  // unique % give way to it), else only until the text fits.
  for (const k of dropFirst) {
    if (withBar ? barWidth(max) >= 10 : len(0) <= max) break;
    shown.delete(k);
  }
  const b = barWidth(max);
  const items = text();
  if (withBar && b >= 10) {
    const done = Math.round((b * (m.epoch + 1)) / info.epochs);
    items.splice(1, 0, `${'█'.repeat(done)}${'░'.repeat(b - done)}`);
  }
  const line = items.join('  ');
  return line.length > max ? line.slice(0, max) : line;
}

export interface Progress {
  start(fromEpoch: number): void;
  epoch(m: EpochMetrics): void;
  stop(): void;
}

/** A progress display on `stream` (a TTY: one redrawn line; otherwise a line per epoch on stdout); none when quiet. */
export function progress(info: ProgressInfo, opts: { quiet: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { start() {}, epoch() {}, stop() {} };
  const times: number[] = [];
  const perEpoch = (s: number) => {
    times.push(s);
    if (times.length > 10) times.shift();
    return times.reduce((a, b) => a + b, 0) / times.length;
  };
  if (!stream.isTTY)
    return {
      start() {},
      epoch(m) {
        console.log(statusLine(m, info, perEpoch(m.seconds), 200, false));
      },
      stop() {},
    };
  let line = '';
  const bar = new cliProgress.SingleBar({
    stream,
    format: () => line,
    hideCursor: true,
    linewrap: true, // cli-progress cuts at the width as well (the line is already made to fit)
    fps: 10,
    clearOnComplete: false,
    stopOnComplete: false,
    gracefulExit: false,
  });
  let started = false;
  return {
    start(fromEpoch) {
      line = `epoch ${fromEpoch}/${info.epochs}  starting…`;
      bar.start(info.epochs, fromEpoch);
      started = true;
    },
    epoch(m) {
      if (!started) this.start(m.epoch);
      line = statusLine(m, info, perEpoch(m.seconds), stream.columns || 80);
      bar.update(m.epoch + 1);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
