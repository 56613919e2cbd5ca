// Arrow IPC body compression: pyarrow's Feather v2 is LZ4_FRAME-compressed by default, and IPC
// writers offer ZSTD. apache-arrow reads them once decoders are registered in its compression
// registry: LZ4 frames with lz4-napi (lz4_flex, native), ZSTD with fzstd (pure JS).
import { createRequire } from 'node:module';
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';

let registered = false;

/** apache-arrow places each decoded buffer as is: typed-array views need 8-byte alignment. */
const aligned = (b: Uint8Array): Uint8Array => (b.byteOffset % 8 === 0 ? b : b.slice());

export function registerArrowCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.ZSTD, { decode: (b: Uint8Array) => aligned(zstdDecompress(b)) });
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    decode: (b: Uint8Array) => {
      // Loaded on first use: a native module that only compressed files need.
      const lz4 = createRequire(import.meta.url)('lz4-napi') as { decompressFrameSync(data: Buffer): Buffer };
      return aligned(lz4.decompressFrameSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
    },
  });
}
