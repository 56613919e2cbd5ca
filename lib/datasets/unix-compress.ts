// Decoder for Unix compress (.Z, LZW): UCI ships ISOLET as isolet1+2+3+4.data.Z and isolet5.data.Z.
// No maintained npm package reads .Z, so this follows ncompress's decoder: codes of 9…maxbits bits,
// least significant bit first; code 256 clears the table in block mode; codes come in groups of
// eight, and a change of width (or a clear) skips to the end of the current group.
import { IpcaeError } from '../errors.js';

export function isUnixCompressed(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0x1f && buf[1] === 0x9d;
}

export function uncompressZ(buf: Uint8Array, name = 'input'): Uint8Array {
  if (!isUnixCompressed(buf)) throw new IpcaeError('ERR_DATA', `${name}: not a Unix compress (.Z) file (no 1f 9d magic)`);
  const maxBits = buf[2] & 0x1f;
  const blockMode = (buf[2] & 0x80) !== 0;
  if (maxBits < 9 || maxBits > 16) throw new IpcaeError('ERR_DATA', `${name}: .Z header asks for ${maxBits}-bit codes (expected 9–16)`);
  const maxMaxCode = 1 << maxBits;
  const prefix = new Uint16Array(maxMaxCode);
  const suffix = new Uint8Array(maxMaxCode);
  for (let i = 0; i < 256; i++) suffix[i] = i;
  const stack = new Uint8Array(maxMaxCode);
  let out = new Uint8Array(Math.max(1024, buf.length * 4));
  let outLen = 0;
  const emit = (b: number) => {
    if (outLen === out.length) {
      const bigger = new Uint8Array(out.length * 2);
      bigger.set(out);
      out = bigger;
    }
    out[outLen++] = b;
  };

  const totalBits = (buf.length - 3) * 8;
  let nBits = 9;
  let maxCode = (1 << nBits) - 1;
  let freeEnt = blockMode ? 257 : 256;
  let pos = 0; // bit position in the code stream
  let groupStart = 0; // where codes of the current width began
  let oldCode = -1;
  let finChar = 0;
  const align = () => {
    const g = nBits * 8;
    pos = groupStart + Math.ceil((pos - groupStart) / g) * g;
    groupStart = pos;
  };
  for (;;) {
    if (freeEnt > maxCode) {
      align();
      nBits++;
      maxCode = nBits === maxBits ? maxMaxCode : (1 << nBits) - 1;
    }
    if (pos + nBits > totalBits) break;
    // read nBits at pos, LSB first
    let code = 0;
    for (let got = 0; got < nBits; ) {
      const byte = buf[3 + ((pos + got) >> 3)];
      const shift = (pos + got) & 7;
      const take = Math.min(8 - shift, nBits - got);
      code |= ((byte >> shift) & ((1 << take) - 1)) << got;
      got += take;
    }
    pos += nBits;
    if (oldCode === -1) {
      if (code >= 256) throw new IpcaeError('ERR_DATA', `${name}: corrupt .Z stream (first code ${code})`);
      finChar = oldCode = code;
      emit(code);
      continue;
    }
    if (code === 256 && blockMode) {
      freeEnt = 256;
      align();
      nBits = 9;
      maxCode = (1 << nBits) - 1;
      continue;
    }
    const inCode = code;
    let sp = 0;
    if (code >= freeEnt) {
      if (code > freeEnt) throw new IpcaeError('ERR_DATA', `${name}: corrupt or truncated .Z stream (code ${code} before entry ${freeEnt} exists)`);
      stack[sp++] = finChar;
      code = oldCode;
    }
    while (code >= 256) {
      stack[sp++] = suffix[code];
      code = prefix[code];
    }
    finChar = suffix[code];
    stack[sp++] = finChar;
    while (sp > 0) emit(stack[--sp]);
    if (freeEnt < maxMaxCode) {
      prefix[freeEnt] = oldCode;
      suffix[freeEnt] = finChar;
      freeEnt++;
    }
    oldCode = inCode;
  }
  return out.subarray(0, outLen);
}
