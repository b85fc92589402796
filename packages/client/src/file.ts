import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ReelayError } from './errors.ts';
import type { VideoContent } from './videos.ts';

export interface SavedFile {
  path: string;
  bytes: number;
  /** Hex sha256 of what was written: compare with the video's `reelay.outputs[].sha256`. */
  sha256: string;
  contentType: string | null;
}

/**
 * Streams a download to `path` through a `.part` file renamed at the end, so `path` only ever holds a
 * whole file: a cut download leaves nothing behind, and never a truncated MP4 that looks finished.
 */
export async function saveToFile(content: VideoContent, path: string): Promise<SavedFile> {
  const partial = `${path}.part`;
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      Readable.fromWeb(content.body as NodeReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(partial),
    );
    if (content.contentLength !== null && bytes !== content.contentLength) {
      throw new ReelayError(`The download ended after ${bytes} of ${content.contentLength} bytes.`, {
        code: 'invalid_response',
      });
    }
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { path, bytes, sha256: hash.digest('hex'), contentType: content.contentType };
}
