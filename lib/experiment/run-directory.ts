// The run directory every method shares: create and lock it, check it against this run (the
// same configuration, the same data), find a finished result; the hooks a run reports through.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EpochMetrics } from '../train/trainer.js';
import type { PreparedDataset } from '../datasets/dataset.js';
import { IpcaeError } from '../errors.js';
import { CHECKPOINT, PREVIOUS_CHECKPOINT } from './checkpoint.js';
import { ensureDir, removeStrayTemporaries } from '../files/dirs.js';
import { lockDirectory } from '../files/lock.js';
import { divergedError, type Summary } from './summary.js';

export interface RunHooks {
  onEpoch?: (m: EpochMetrics) => void;
  /** Something the user should know that does not stop the run (a fallback checkpoint, stray files removed). */
  onWarning?: (message: string) => void;
  /** A stage of a baseline run finished (an STG search round; LassoNet's path so far): one line for the user. */
  onStage?: (message: string) => void;
  /** Start over: remove the run's files in the directory first (a different config or data is then accepted). */
  restart?: boolean;
  /** How long to wait for another process's lock on the directory (default 0: refuse at once). */
  lockWaitMs?: number;
  /** Called once training is about to start (after a resume, from that epoch). */
  onStart?: (info: { resumedFromEpoch: number; epochs: number; device: string }) => void;
  signal?: AbortSignal;
  /** Bytes a run may use (default: the machine's or the cgroup's memory); a larger estimate is refused (ERR_MEMORY_BUDGET). */
  memoryLimit?: number;
}

/**
 * Creates and locks a run directory and checks it against this run: the same configuration, the
 * same data. Returns the finished result when summary.json (the commit point) is already there.
 */
export async function openRunDirectory(
  outDir: string,
  resolved: unknown,
  data: PreparedDataset,
  hooks: Pick<RunHooks, 'lockWaitMs' | 'onWarning' | 'restart'>,
): Promise<{ release: () => Promise<void>; configFile: string; summaryFile: string; manifestFile: string; finished?: Summary }> {
  ensureDir(outDir);
  const release = await lockDirectory(outDir, hooks.lockWaitMs ?? 0);
  try {
    const stray = removeStrayTemporaries(outDir);
    if (stray.length) hooks.onWarning?.(`removed ${stray.length} temporary file(s) left by an interrupted run: ${stray.join(', ')}`);
    if (hooks.restart) clearRun(outDir);
    const configFile = path.join(outDir, 'config.json');
    if (existsSync(configFile)) {
      const prev = readJson(configFile);
      const diff = differences(prev, resolved);
      if (diff.length)
        throw new IpcaeError('ERR_INVALID_ARGUMENT', `${outDir} holds a run with a different configuration (${diff.join('; ')}); choose another --out, or --restart to replace it`);
    }
    const summaryFile = path.join(outDir, 'summary.json');
    const manifestFile = path.join(outDir, 'manifest.json');
    if (existsSync(manifestFile) && (existsSync(summaryFile) || existsSync(path.join(outDir, CHECKPOINT)) || existsSync(path.join(outDir, PREVIOUS_CHECKPOINT)) || existsSync(path.join(outDir, 'search.json')) || existsSync(path.join(outDir, 'path.json'))))
      checkSameData(outDir, readJson(manifestFile) as { data?: { sources?: PreparedDataset['sources'] } }, data);
    let finished: Summary | undefined;
    if (existsSync(summaryFile)) {
      // finished before (summary.json is the commit point: written last)
      finished = readJson(summaryFile) as Summary;
      if (finished === null || typeof finished !== 'object' || !Array.isArray(finished.seeds) || typeof finished.method !== 'string')
        throw new IpcaeError('ERR_DATA', `${summaryFile} is not the summary of an ipcae run (another program's file?); choose another --out, or --restart to replace it`);
      const diverged = divergedError(finished, outDir);
      if (diverged) throw diverged;
    }
    return { release, configFile, summaryFile, manifestFile, finished };
  } catch (e) {
    await release();
    throw e;
  }
}

export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${file} is not readable JSON (${(e as Error).message}); it is not a file this version of ipcae wrote: choose another --out, or --restart`);
  }
}

/** 'key: a → b' for every leaf where two JSON values differ. */
export function differences(a: unknown, b: unknown, where = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], where ? `${where}.${k}` : k));
  }
  return [`${where}: ${JSON.stringify(a) ?? 'absent'} then, ${JSON.stringify(b) ?? 'absent'} now`];
}

/** Refuses to resume (or to return a finished result) on data other than the run's. */
function checkSameData(outDir: string, prev: { data?: { sources?: PreparedDataset['sources'] } }, data: PreparedDataset): void {
  const before = prev.data?.sources ?? [];
  const now = data.sources;
  const changed: string[] = [];
  for (let i = 0; i < Math.max(before.length, now.length); i++) {
    const b = before[i], n = now[i];
    if (b?.sha256 !== n?.sha256) changed.push(`${n?.file ?? b?.file}: sha256 ${b?.sha256 ?? 'absent'} then, ${n?.sha256 ?? 'absent'} now`);
  }
  if (changed.length)
    throw new IpcaeError(
      'ERR_DATA',
      `${outDir} was trained on other data (${changed.join('; ')}); restore the data to resume, or --restart to train again from epoch 0 on this data`,
    );
}

/** The files of a run (nothing else in the directory is touched). */
const RUN_FILE = /^(config\.json|manifest\.json|metrics\.arrow|state(\.prev|\.next)?\.bin|search\.json|path\.json|lassonet-state-\d+-\d+\.bin|feature-means\.json|selection-\d+\.json|parameters-\d+\.(bin|json)|summary\.(json|md))$/;

function clearRun(outDir: string): void {
  for (const f of readdirSync(outDir)) if (RUN_FILE.test(f)) rmSync(path.join(outDir, f), { force: true });
}
