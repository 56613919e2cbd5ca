// Checkpoints of a run: the trainer's state and the metrics of every epoch so far, in one file
// that carries its own checksum, so a resume continues exactly where the checkpoint was taken or
// knows that it cannot. The previous checkpoint is kept (state.prev.bin) and used, saying so, when
// the newest is missing or damaged.
//
// Format: 'IPCAE-CHECKPOINT-1\n', a JSON line {epoch, stateBytes, metricsBytes, seconds?, sittings?}
// (the last two: the run's time up to it, sittings.ts; absent in older files), the trainer state,
// the metrics (Arrow IPC), then 'sha256:<hex of everything before>\n'.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IpcaeError } from '../errors.js';
import { moveDurable, writeAtomic } from '../files/atomic.js';
import { asParts, indexOfByte, readFileParts, readRange, sha256Parts, sliceParts, totalLength, type Parts } from '../files/bytes.js';
import type { EpochMetrics } from '../train/trainer.js';
import { metricsToIPC, readMetrics } from './metrics-file.js';
import type { SittingsRecord } from './sittings.js';

const MAGIC = 'IPCAE-CHECKPOINT-1\n';
export const CHECKPOINT = 'state.bin';
export const PREVIOUS_CHECKPOINT = 'state.prev.bin';

export interface Checkpoint extends SittingsRecord {
  epoch: number;
  /** The trainer state, in parts (a state of any size). */
  state: Parts;
  history: EpochMetrics[];
}

/** The checkpoint as parts (the state is not copied). metrics: c.history as Arrow IPC, when the caller has it already. */
export function encodeCheckpointParts(c: Checkpoint, metrics: Uint8Array = metricsToIPC(c.history)): Buffer[] {
  const stateBytes = totalLength(c.state);
  const head = Buffer.from(MAGIC + JSON.stringify({ epoch: c.epoch, stateBytes, metricsBytes: metrics.length, ...(c.seconds !== undefined ? { seconds: c.seconds } : {}), ...(c.sittings !== undefined ? { sittings: c.sittings } : {}) }) + '\n');
  const body = [head, ...c.state.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)), Buffer.from(metrics.buffer, metrics.byteOffset, metrics.byteLength)];
  return [...body, Buffer.from(`sha256:${sha256Parts(body)}\n`)];
}

export function encodeCheckpoint(c: Checkpoint, metrics?: Uint8Array): Buffer {
  return Buffer.concat(encodeCheckpointParts(c, metrics));
}

/** The checkpoint in `bytes` (one Buffer or parts), or the reason it cannot be used. */
export function decodeCheckpoint(bytes: Uint8Array | Parts): Checkpoint | string {
  const p = asParts(bytes);
  const size = totalLength(p);
  if (size === 0) return 'the file is empty';
  if (!readRange(p, 0, MAGIC.length).equals(Buffer.from(MAGIC))) return 'not an ipcae checkpoint (or its first bytes are damaged)';
  const trailer = 'sha256:'.length + 64 + 1;
  if (size < MAGIC.length + trailer) return 'the file is truncated';
  const bodyEnd = size - trailer;
  const body = sliceParts(p, 0, bodyEnd);
  const tail = readRange(p, bodyEnd, size).toString('latin1');
  const m = /^sha256:([0-9a-f]{64})\n$/.exec(tail);
  if (!m) return 'the checksum is missing or damaged (truncated file?)';
  if (sha256Parts(body) !== m[1]) return 'the checksum does not match: the file is damaged';
  const nl = indexOfByte(p, 0x0a, MAGIC.length, Math.min(bodyEnd, 1 << 20));
  if (nl < 0) return 'the header is damaged';
  let head: { epoch: number; stateBytes: number; metricsBytes: number } & SittingsRecord;
  try {
    head = JSON.parse(readRange(p, MAGIC.length, nl).toString('utf8'));
  } catch {
    return 'the header is damaged';
  }
  const start = nl + 1;
  if (start + head.stateBytes + head.metricsBytes !== bodyEnd) return 'the lengths in the header do not match the file';
  const state = sliceParts(p, start, start + head.stateBytes);
  const history = readMetrics(readRange(p, start + head.stateBytes, bodyEnd));
  if (history.length !== head.epoch) return `the metrics hold ${history.length} epochs where the header says ${head.epoch}`;
  return { epoch: head.epoch, state, history, ...(head.seconds !== undefined ? { seconds: head.seconds } : {}), ...(head.sittings !== undefined ? { sittings: head.sittings } : {}) };
}

/** Saves a checkpoint, streamed part by part; the one it replaces becomes state.prev.bin. */
export function saveCheckpoint(dir: string, c: Checkpoint, metrics?: Uint8Array): void {
  const file = path.join(dir, CHECKPOINT);
  const next = path.join(dir, 'state.next.bin');
  writeAtomic(next, encodeCheckpointParts(c, metrics));
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
    const bytes = readFileParts(file);
    if (name === CHECKPOINT && readRange(bytes, 0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
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
