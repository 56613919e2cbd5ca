// Checkpoints of a run: the trainer's state and the metrics of every epoch so far, in one file
// that carries its own checksum, so a resume continues exactly where the checkpoint was taken or
// knows that it cannot. The previous checkpoint is kept (state.prev.bin) and used, saying so, when
// the newest is missing or damaged.
//
// Format: 'IPCAE-CHECKPOINT-1\n', a JSON line {epoch, stateBytes, metricsBytes, seconds?, sittings?}
// (the last two: the run's time up to it, sittings.ts; absent in older files), the trainer state,
// the metrics (Arrow IPC), then 'sha256:<hex of everything before>\n'.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IpcaeError } from '../errors.js';
import { moveDurable, writeAtomic } from '../files/atomic.js';
import type { EpochMetrics } from '../train/trainer.js';
import { metricsToIPC, readMetrics } from './metrics-file.js';
import type { SittingsRecord } from './sittings.js';

const MAGIC = 'IPCAE-CHECKPOINT-1\n';
export const CHECKPOINT = 'state.bin';
export const PREVIOUS_CHECKPOINT = 'state.prev.bin';

export interface Checkpoint extends SittingsRecord {
  epoch: number;
  state: Buffer;
  history: EpochMetrics[];
}

/** metrics: c.history as Arrow IPC, when the caller has it already. */
export function encodeCheckpoint(c: Checkpoint, metrics: Uint8Array = metricsToIPC(c.history)): Buffer {
  const head = Buffer.from(MAGIC + JSON.stringify({ epoch: c.epoch, stateBytes: c.state.length, metricsBytes: metrics.length, ...(c.seconds !== undefined ? { seconds: c.seconds } : {}), ...(c.sittings !== undefined ? { sittings: c.sittings } : {}) }) + '\n');
  const body = Buffer.concat([head, c.state, metrics]);
  const sum = createHash('sha256').update(body).digest('hex');
  return Buffer.concat([body, Buffer.from(`sha256:${sum}\n`)]);
}

/** The checkpoint in `bytes`, or the reason it cannot be used. */
export function decodeCheckpoint(bytes: Buffer): Checkpoint | string {
  if (bytes.length === 0) return 'the file is empty';
  if (!bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return 'not an ipcae checkpoint (or its first bytes are damaged)';
  const trailer = 'sha256:'.length + 64 + 1;
  if (bytes.length < MAGIC.length + trailer) return 'the file is truncated';
  const body = bytes.subarray(0, bytes.length - trailer);
  const tail = bytes.subarray(bytes.length - trailer).toString('latin1');
  const m = /^sha256:([0-9a-f]{64})\n$/.exec(tail);
  if (!m) return 'the checksum is missing or damaged (truncated file?)';
  if (createHash('sha256').update(body).digest('hex') !== m[1]) return 'the checksum does not match: the file is damaged';
  const nl = body.indexOf(0x0a, MAGIC.length);
  let head: { epoch: number; stateBytes: number; metricsBytes: number } & SittingsRecord;
  try {
    head = JSON.parse(body.subarray(MAGIC.length, nl).toString('utf8'));
  } catch {
    return 'the header is damaged';
  }
  const start = nl + 1;
  if (start + head.stateBytes + head.metricsBytes !== body.length) return 'the lengths in the header do not match the file';
  const state = Buffer.from(body.subarray(start, start + head.stateBytes));
  const history = readMetrics(body.subarray(start + head.stateBytes));
  if (history.length !== head.epoch) return `the metrics hold ${history.length} epochs where the header says ${head.epoch}`;
  return { epoch: head.epoch, state, history, ...(head.seconds !== undefined ? { seconds: head.seconds } : {}), ...(head.sittings !== undefined ? { sittings: head.sittings } : {}) };
}

/** Saves a checkpoint; the one it replaces becomes state.prev.bin. */
export function saveCheckpoint(dir: string, c: Checkpoint, metrics?: Uint8Array): void {
  const file = path.join(dir, CHECKPOINT);
  const next = path.join(dir, 'state.next.bin');
  writeAtomic(next, encodeCheckpoint(c, metrics));
  if (existsSync(file)) moveDurable(file, path.join(dir, PREVIOUS_CHECKPOINT));
  moveDurable(next, file);
}

export interface LoadedCheckpoint extends Checkpoint {
  /** Set when the newest checkpoint could not be used and the previous one was. */
  warning?: string;
}

/**
 * The newest usable checkpoint of a run directory, undefined when there is none, or ERR_DATA when
 * checkpoints exist but none can be used.
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint | undefined {
  const tried: string[] = [];
  for (const name of [CHECKPOINT, 'state.next.bin', PREVIOUS_CHECKPOINT]) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    if (name === CHECKPOINT && bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
      // written by ipcae before checkpoints had a checksum: the torch archive alone, metrics beside
      // it (epoch unknown here: the caller trims the metrics to the loaded state's epoch)
      const m = path.join(dir, 'metrics.arrow');
      return { epoch: -1, state: bytes, history: existsSync(m) ? readMetrics(readFileSync(m)) : [] };
    }
    const c = decodeCheckpoint(bytes);
    if (typeof c !== 'string') {
      const warning = tried.length ? `${tried.join('; ')}: resumed from ${name} (epoch ${c.epoch}) instead` : undefined;
      return { ...c, warning };
    }
    tried.push(`${name} cannot be used (${c})`);
  }
  if (tried.length)
    throw new IpcaeError('ERR_DATA', `${dir}: no usable checkpoint: ${tried.join('; ')}. Start the run over with --restart (or remove ${CHECKPOINT}*).`);
  return undefined;
}
