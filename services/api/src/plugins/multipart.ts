import multipart, { type MultipartFile, type MultipartValue } from '@fastify/multipart';
import { ApiError } from '@reelay/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unsupportedType } from './bodies.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes multipart/form-data bodies (uploads); every other route refuses them with 415. */
    multipart?: boolean;
  }
}

/**
 * Multipart creates (the official SDK always sends multipart). Fields and the one allowed file are read
 * into a plain object shaped like the JSON body, so the same zod schema validates both:
 * `input_reference` (file) becomes `{upload: {filename, mimetype, data}}`, bracketed keys such as
 * `input_reference[image_url]` or `metadata[team]` become nested objects, and `webhook_events` may be
 * repeated or comma-separated.
 */
export async function multipartBodies(
  app: FastifyInstance,
  options: { maxUploadBytes: number },
): Promise<void> {
  // Before the plugin's own preValidation hook (which reads the parts): a request is marked while its
  // multipart body is being read, so that any error raised meanwhile is known to be about that body.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    if (!request.isMultipart()) return;
    // Only routes that take uploads read multipart bodies: elsewhere (the unauthenticated login among
    // them) a multipart body would be read into memory, files and all, before being refused.
    if (!request.routeOptions.config.multipart) {
      throw new ApiError(415, 'unsupported_media_type', unsupportedType(request));
    }
    const boundary = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(request.headers['content-type'] ?? '');
    const length = (boundary?.[1] ?? boundary?.[2] ?? '').length;
    // RFC 2046 allows 1-70 characters; busboy throws a bare Error past 252.
    if (length > 70)
      throw new ApiError(
        400,
        'invalid_multipart',
        `The multipart boundary is ${length} characters long; at most 70 are allowed (RFC 2046).`,
      );
    reading.add(request);
  });
  await app.register(multipart, {
    attachFieldsToBody: true,
    limits: { fileSize: options.maxUploadBytes, files: 1, fields: 64, fieldSize: 256 * 1024, parts: 66 },
    throwFileSizeLimit: true,
    async onFile(part) {
      (part as MultipartFile & { data?: Buffer }).data = await part.toBuffer();
    },
  });
  app.addHook('preValidation', async (request: FastifyRequest) => {
    if (!request.isMultipart()) return;
    reading.delete(request);
    request.body = normalize(request.body as Record<string, unknown>);
  });
}

const reading = new WeakSet<FastifyRequest>();

/**
 * Whether the request's multipart body was being read when an error was raised: such an error is
 * about the body the client sent (busboy's parse errors carry no status) or its connection, not ours.
 */
export function readingMultipartBody(request: FastifyRequest): boolean {
  return reading.has(request);
}

type Part = (MultipartValue<unknown> | (MultipartFile & { data?: Buffer })) & { fieldname: string };

function normalize(raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const entry of Object.values(raw ?? {})) {
    for (const part of (Array.isArray(entry) ? entry : [entry]) as Part[]) {
      const value =
        part.type === 'file'
          ? {
              upload: {
                filename: part.filename,
                mimetype: part.mimetype,
                data: part.data ?? Buffer.alloc(0),
              },
            }
          : part.value;
      assign(body, part.fieldname, value);
    }
  }
  if (typeof body.webhook_events === 'string')
    body.webhook_events = body.webhook_events.split(',').map((e) => e.trim());
  return body;
}

/** `a[b]` sets body.a.b; `a[]` (or a repeated `a`) appends to an array. */
function assign(body: Record<string, unknown>, name: string, value: unknown): void {
  const match = /^([^[\]]+)\[([^[\]]*)\]$/.exec(name);
  if (!match) {
    if (Object.hasOwn(body, name))
      body[name] = [...(Array.isArray(body[name]) ? body[name] : [body[name]]), value];
    else body[name] = value;
    return;
  }
  const [, outer, inner] = match as unknown as [string, string, string];
  // @fastify/multipart refuses a field named `__proto__`, but not `__proto__[x]`: without this check
  // body.__proto__ is Object.prototype and `nested[inner] = value` below pollutes every object in the
  // process (zod's strictObject then sees an unknown key on every later request). An inner `__proto__`
  // would only be dropped silently; refuse it too.
  if (outer in Object.prototype || inner === '__proto__') {
    throw new ApiError(400, 'invalid_multipart', `Invalid multipart field name '${name}'.`, { param: name });
  }
  const current = Object.hasOwn(body, outer) ? body[outer] : undefined;
  if (inner === '') {
    // `a=x` then `a[]=y` is the list [x, y], like a repeated `a`.
    body[outer] = [...(Array.isArray(current) ? current : current === undefined ? [] : [current]), value];
    return;
  }
  const isMap = typeof current === 'object' && current !== null && !Array.isArray(current);
  if (current !== undefined && !isMap) {
    // `metadata=x` and `metadata[a]=b` in one body: keeping either would drop the other silently.
    throw new ApiError(400, 'invalid_multipart', `Multipart field '${name}' conflicts with '${outer}'.`, {
      param: outer,
    });
  }
  const nested = (isMap ? current : {}) as Record<string, unknown>;
  nested[inner] = value;
  body[outer] = nested;
}
