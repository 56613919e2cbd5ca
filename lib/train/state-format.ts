// The bytes of Trainer.saveState(): the native archive inside a signed envelope, so that a state
// kept in a database or an object store is checked before it is used.
//
// Format: 'IPCAE-STATE-1\n', a JSON line {fingerprint, archiveBytes} (the configuration the state
// belongs to, as the native trainer spells it), the archive, then 'sha256:<hex of everything
// before>\n'. Any changed, missing or added byte is detected by the checksum; a state of another
// configuration is refused by name before the archive is opened.
import { IpcaeError } from '../errors.js';
import { asParts, indexOfByte, readRange, sha256Parts, sliceParts, totalLength, type Parts } from '../files/bytes.js';

const MAGIC = 'IPCAE-STATE-1\n';
const TRAILER = 'sha256:'.length + 64 + 1;
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export function signState(archive: Parts, fingerprint: string): Buffer[] {
  const head = Buffer.from(MAGIC + JSON.stringify({ fingerprint, archiveBytes: totalLength(archive) }) + '\n');
  const body = [head, ...archive.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
  return [...body, Buffer.from(`sha256:${sha256Parts(body)}\n`)];
}

export type OpenedState = { archive: Uint8Array[]; signed: true } | { archive: Parts; signed: false };

const damaged = (why: string) =>
  new IpcaeError('ERR_INVALID_ARGUMENT', `Expected a saved ipcae trainer state for state but ${why}`);

/**
 * The archive inside signed bytes, checked against its checksum and the loading configuration's
 * fingerprint; a bare archive (written by ipcae before states were signed) comes back unsigned.
 */
export function openState(bytes: Uint8Array | Parts, fingerprint: string): OpenedState {
  const p = asParts(bytes);
  const size = totalLength(p);
  if (size === 0) throw damaged('the bytes are empty');
  if (size >= ZIP.length && readRange(p, 0, ZIP.length).equals(ZIP)) return { archive: p, signed: false };
  if (size < MAGIC.length || !readRange(p, 0, MAGIC.length).equals(Buffer.from(MAGIC)))
    throw damaged('the bytes do not start as one (damaged, or not a state saved by Trainer.saveState)');
  if (size < MAGIC.length + TRAILER) throw damaged('the bytes are truncated');
  const bodyEnd = size - TRAILER;
  const m = /^sha256:([0-9a-f]{64})\n$/.exec(readRange(p, bodyEnd, size).toString('latin1'));
  if (!m) throw damaged('its checksum is missing or damaged (truncated bytes?)');
  const body = sliceParts(p, 0, bodyEnd);
  if (sha256Parts(body) !== m[1]) throw damaged('its checksum does not match: the bytes were changed or damaged after saving');
  const nl = indexOfByte(p, 0x0a, MAGIC.length, Math.min(bodyEnd, 1 << 20));
  let head: { fingerprint?: unknown; archiveBytes?: unknown };
  try {
    head = JSON.parse(readRange(p, MAGIC.length, nl).toString('utf8'));
  } catch {
    throw damaged('its header is damaged');
  }
  if (head.fingerprint !== fingerprint)
    throw new IpcaeError(
      'ERR_INVALID_ARGUMENT',
      `Expected an ipcae trainer state saved by the same configuration (${fingerprint}) but received one from another configuration (${String(head.fingerprint)})`,
    );
  if (head.archiveBytes !== bodyEnd - nl - 1) throw damaged('the length in its header does not match the bytes');
  return { archive: sliceParts(p, nl + 1, bodyEnd), signed: true };
}
