import { randomBytes } from 'node:crypto';

/**
 * `video_` + 12 hex digits of the creation time in ms + 20 random hex digits. Ids sort by creation time
 * as plain strings, which is what lets a tenant's list be one sorted set read by range (newest first)
 * with the last id as the cursor.
 */
export function newVideoId(now = Date.now()): string {
  return `video_${now.toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

export function videoIdTime(id: string): number {
  return Number.parseInt(id.slice(6, 18), 16);
}
