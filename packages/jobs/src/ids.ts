import { randomFillSync } from 'node:crypto';

// Random bytes drawn 4 KiB at a time: one system call per ~400 ids instead of one per id.
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function random10(): string {
  if (offset + 10 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  offset += 10;
  return POOL.toString('hex', offset - 10, offset);
}

/**
 * `video_` + 12 hex digits of the creation time in ms + 20 random hex digits. Ids sort by creation time
 * as plain strings, which is what lets a tenant's list be one sorted set read by range (newest first)
 * with the last id as the cursor.
 */
export function newVideoId(now = Date.now()): string {
  return `${videoIdFloor(now)}${random10()}`;
}

/** The id prefix of a millisecond: below every id created in it, above every id created before it. */
export function videoIdFloor(ms: number): string {
  return `video_${ms.toString(16).padStart(12, '0')}`;
}

export function videoIdTime(id: string): number {
  return Number.parseInt(id.slice(6, 18), 16);
}
