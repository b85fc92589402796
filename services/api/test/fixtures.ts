import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { VideoObject } from '@reelay/contracts';
import { VideoStore } from '@reelay/jobs';
import { expect } from 'vitest';
import type { TestApi } from './harness.ts';

/**
 * A real RGB PNG of the given size, built by hand: signature, IHDR, IDAT, IEND. Solid grey (a few KB),
 * or random pixels with `noise` (about 3 bytes a pixel: deflate cannot shrink noise).
 */
export function png(width: number, height: number, { noise = false } = {}): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const row = () => {
    const bytes = noise ? randomBytes(1 + width * 3) : Buffer.alloc(1 + width * 3, 0x80);
    bytes[0] = 0; // filter: none
    return bytes;
  };
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Asserts an answer is an error in OpenAI's shape, and returns its `error`. */
export async function expectError(
  response: Response,
  status: number,
  expected: { param?: string | null; code?: string } = {},
): Promise<{ message: string; type: string; param: string | null; code: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text);
  expect(body).toEqual({
    error: {
      message: expect.any(String),
      type: expect.any(String),
      param:
        'param' in expected ? expected.param : expect.toSatisfy((p) => p === null || typeof p === 'string'),
      code: expected.code ?? expect.any(String),
    },
  });
  return body.error;
}

export function storeOf(api: TestApi): VideoStore {
  return new VideoStore(api.redis.redis, api.redis.prefix);
}

/**
 * Completes a video the way the worker will: puts real objects in the test bucket, then applies the
 * `complete` transition with outputs describing them.
 */
export async function completeWithOutputs(
  api: TestApi,
  tenant: string,
  id: string,
  files: {
    variant: 'video' | 'thumbnail' | 'spritesheet';
    data: Buffer;
    contentType: string;
    name: string;
  }[],
): Promise<void> {
  const outputs = [];
  for (const file of files) {
    const key = `tenants/${tenant}/videos/${id}/${file.name}`;
    await api.bucket.s3.send(
      new PutObjectCommand({
        Bucket: api.bucket.bucket,
        Key: key,
        Body: file.data,
        ContentType: file.contentType,
      }),
    );
    outputs.push({
      variant: file.variant,
      key,
      bytes: file.data.length,
      sha256: 'test',
      content_type: file.contentType,
    });
  }
  const store = storeOf(api);
  await store.transition(tenant, id, 'start', { step: 'submit', provider: 'sim', attempts: 1 });
  const done = await store.transition(tenant, id, 'complete', {
    outputs,
    progress: 100,
    step: 'done',
    completedAt: Date.now(),
  });
  expect(done.applied).toBe(true);
}

/** The object's bytes, or null when there is no such object. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | null> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
    throw error;
  }
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads a server-sent event stream: events are separated by a blank line, `field: value` lines within,
 * `:` lines are comments. `next()` resolves with the next event, or null once the server ended the stream.
 */
export function sseReader(response: Response): { next(timeoutMs?: number): Promise<SseEvent | null> } {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let ended = false;
  const parse = (block: string): SseEvent | null => {
    const event: SseEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
    }
    if (data.length === 0) return null; // a comment-only block (heartbeat)
    event.data = data.join('\n');
    return event;
  };
  return {
    async next(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const separator = /\r?\n\r?\n/.exec(buffer);
        if (separator) {
          const block = buffer.slice(0, separator.index);
          buffer = buffer.slice(separator.index + separator[0].length);
          const event = parse(block);
          if (event) return event;
          continue;
        }
        if (ended) return null;
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `no server-sent event within ${timeoutMs} ms (buffer: ${JSON.stringify(buffer)})`,
                  ),
                ),
              Math.max(0, deadline - Date.now()),
            );
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) ended = true;
        else buffer += chunk.value;
      }
    },
  };
}

export type Video = VideoObject;
export interface VideoList {
  object: 'list';
  data: Video[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** A JSON answer's body, typed as the test expects it to be (the assertions then check it). */
export async function bodyOf<T = Video>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
