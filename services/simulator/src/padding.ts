import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

// Virtual files: a content answer is a `ByteSource` that generates any byte range on demand, so a 1 GiB
// (or 40 GiB) video costs a 256 KiB buffer of zeros, never its size in memory or on disk.
//
// A padded video is the fixture MP4 followed by one top-level `free` box filling up to exactly N bytes.
// Players and ffprobe skip `free` boxes by definition (ISO/IEC 14496-12 8.1.2), so the file stays valid
// at any size. A box over 4 GiB - 1 uses the 64-bit form: size field 1, then an 8-byte `largesize`.

export interface ByteSource {
  size: number;
  /** The bytes in [start, end), as a sequence of chunks; lazily generated. */
  chunks(start: number, end: number): Generator<Buffer>;
}

const CHUNK = 256 * 1024;
/** Shared and never written to: every padding chunk is a view of it. */
const ZEROS = Buffer.alloc(CHUNK);

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    *chunks(start, end) {
      for (let at = start; at < end; at += CHUNK) yield buffer.subarray(at, Math.min(end, at + CHUNK));
    },
  };
}

/** The smallest padded size for `head`: the bare 8-byte `free` box. */
export const minimumPaddedSize = (head: Buffer) => head.length + 8;

/**
 * `head` + a `free` box whose payload starts with `tag` (so every job's file is distinct and names its
 * job) and continues with zeros, `total` bytes in all (default: just big enough for the tag).
 */
export function paddedMp4(head: Buffer, tag: string, total?: number): ByteSource {
  const tagBytes = Buffer.from(tag);
  const size = total ?? head.length + 8 + tagBytes.length;
  const boxSize = size - head.length;
  if (boxSize < 8) throw new RangeError(`a padded file needs at least ${minimumPaddedSize(head)} bytes`);
  const large = boxSize > 0xffff_ffff;
  const header = Buffer.alloc(large ? 16 : 8);
  header.writeUInt32BE(large ? 1 : boxSize, 0);
  header.write('free', 4, 'latin1');
  if (large) header.writeBigUInt64BE(BigInt(boxSize), 8);
  const prefix = Buffer.concat([head, header, tagBytes.subarray(0, boxSize - header.length)]);
  return {
    size,
    *chunks(start, end) {
      for (let at = start; at < Math.min(end, prefix.length); at += CHUNK) {
        yield prefix.subarray(at, Math.min(end, prefix.length, at + CHUNK));
      }
      for (let at = Math.max(start, prefix.length); at < end; at += CHUNK) {
        yield ZEROS.subarray(0, Math.min(CHUNK, end - at));
      }
    },
  };
}

/** sha256 of the whole source, yielding to the event loop every 16 MiB so other requests keep flowing. */
export async function sha256Of(source: ByteSource): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for (const chunk of source.chunks(0, source.size)) {
    hash.update(chunk);
    if (++n % 64 === 0) await yieldToLoop();
  }
  return hash.digest('hex');
}

/** Passes chunks through while hashing them; `onDone` gets the digest only if the sequence ran to its end. */
export function* hashing(chunks: Iterable<Buffer>, onDone: (sha256: string) => void): Generator<Buffer> {
  const hash = createHash('sha256');
  for (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
  onDone(hash.digest('hex'));
}

export type ByteRange = { start: number; end: number };

/**
 * A single `Range: bytes=...` header against `size`: the range [start, end), 'unsatisfiable' (416), or
 * null to answer the whole file (no header, a malformed one, or several ranges: all allowed by RFC 9110).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  if (last === '') return { start, end: size };
  const end = Number(last);
  if (end < start) return null;
  return { start, end: Math.min(size, end + 1) };
}
