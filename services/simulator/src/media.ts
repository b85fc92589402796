import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureNames, SECONDS, type Seconds, SIZES, type Size } from './catalog.ts';
import { type ByteSource, bufferSource, minimumPaddedSize, paddedMp4, sha256Of } from './padding.ts';
import type { Job } from './store.ts';

// The media a finished job serves: the committed fixture clip for its size and length (real H.264 + AAC,
// see scripts/generate-fixtures.ts), made unique per job by a `free` box that names the job, and padded
// to `#sim(bytes=N)` when asked. Thumbnails and spritesheets are per size.

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/media/', import.meta.url));

export const VARIANTS = ['video', 'thumbnail', 'spritesheet'] as const;
export type Variant = (typeof VARIANTS)[number];

export const CONTENT_TYPES: Record<Variant, string> = {
  video: 'video/mp4',
  thumbnail: 'image/webp',
  spritesheet: 'image/jpeg',
};

export interface VideoDigest {
  bytes: number;
  sha256: string;
}

export class MediaLibrary {
  private readonly files: Map<string, Buffer>;
  /** Per job id: the digest of the video it serves, computed once (hashing 1 GiB takes seconds). */
  private readonly digests = new Map<string, VideoDigest | Promise<VideoDigest>>();

  private constructor(files: Map<string, Buffer>) {
    this.files = files;
  }

  /** Reads every fixture (about 1.4 MB) once; a missing one fails the boot, naming the fix. */
  static async load(dir = FIXTURES_DIR): Promise<MediaLibrary> {
    const names = SIZES.flatMap((size) => [
      ...SECONDS.map((seconds) => fixtureNames.video(size, seconds)),
      fixtureNames.thumbnail(size),
      fixtureNames.spritesheet(size),
    ]);
    const files = new Map<string, Buffer>();
    for (const name of names) {
      try {
        files.set(name, await readFile(join(dir, name)));
      } catch (error) {
        throw new Error(`simulator fixture ${name} missing in ${dir}; run \`pnpm fixtures\``, {
          cause: error,
        });
      }
    }
    return new MediaLibrary(files);
  }

  private file(name: string): Buffer {
    const buffer = this.files.get(name);
    if (!buffer) throw new Error(`no fixture ${name}`);
    return buffer;
  }

  /** The smallest `#sim(bytes=N)` a job of this size and length can have. */
  minimumBytes(size: Size, seconds: Seconds): number {
    return minimumPaddedSize(this.file(fixtureNames.video(size, seconds)));
  }

  source(job: Job, variant: Variant): ByteSource {
    if (variant === 'thumbnail') return bufferSource(this.file(fixtureNames.thumbnail(job.size)));
    if (variant === 'spritesheet') return bufferSource(this.file(fixtureNames.spritesheet(job.size)));
    const head = this.file(fixtureNames.video(job.size, job.seconds));
    return paddedMp4(head, `reelay-simulator ${job.id}\n`, job.directives.bytes);
  }

  /** The digest if already known (served once in full, or computed), without computing it. */
  knownDigest(id: string): VideoDigest | null {
    const digest = this.digests.get(id);
    return digest && !(digest instanceof Promise) ? digest : null;
  }

  remember(id: string, digest: VideoDigest): void {
    this.digests.set(id, digest);
  }

  /** The digest of the job's video, streaming the same virtual file once; concurrent callers share it. */
  async digest(job: Job): Promise<VideoDigest> {
    const known = this.digests.get(job.id);
    if (known) return known;
    const source = this.source(job, 'video');
    const pending = sha256Of(source).then((sha256) => {
      const digest = { bytes: source.size, sha256 };
      this.digests.set(job.id, digest);
      return digest;
    });
    this.digests.set(job.id, pending);
    return pending;
  }

  clear(): void {
    this.digests.clear();
  }
}
