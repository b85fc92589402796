import type { FastifyRequest } from 'fastify';
import { invalid, SimError } from './errors.ts';

// Reads a create or remix body, JSON or multipart/form-data (the official SDK always sends multipart),
// into one flat shape for the validator. Multipart nests bracketed keys the way the SDK and PHP-style
// clients encode objects: `input_reference[image_url]=...` becomes `{input_reference: {image_url}}`.
// Anything unreadable is a 400, never a 500: a broken client must get an answer it can act on.

export interface UploadedFile {
  field: string;
  filename: string;
  mimetype: string;
  data: Buffer;
}

export interface RequestBody {
  fields: Record<string, unknown>;
  file: UploadedFile | null;
}

/** Sora accepted reference images up to 20 MB; a bigger upload is refused while streaming. */
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

export async function readBody(request: FastifyRequest): Promise<RequestBody> {
  if (request.isMultipart()) return readMultipart(request);
  const body = request.body;
  if (body === undefined || body === null) return { fields: {}, file: null };
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalid(null, 'The request body must be a JSON object.', 'invalid_body');
  }
  return { fields: body as Record<string, unknown>, file: null };
}

async function readMultipart(request: FastifyRequest): Promise<RequestBody> {
  const flat: Record<string, string> = {};
  let file: UploadedFile | null = null;
  try {
    const parts = request.parts({ limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 64 } });
    for await (const part of parts) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.fieldname !== 'input_reference') {
          throw invalid(part.fieldname, `Unexpected file field '${part.fieldname}'.`, 'unknown_parameter');
        }
        file = { field: part.fieldname, filename: part.filename, mimetype: part.mimetype, data };
      } else {
        flat[part.fieldname] = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
      }
    }
  } catch (error) {
    if (error instanceof SimError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new SimError(400, `Could not parse the multipart body: ${detail}`, {
      code: 'invalid_multipart',
      cause: error,
    });
  }
  return { fields: nest(flat), file };
}

/** `a[b]=1` -> `{a: {b: '1'}}`; one level is all the Videos wire uses. */
function nest(flat: Record<string, string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flat)) {
    const match = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name);
    if (!match) {
      fields[name] = value;
      continue;
    }
    const [, outer = '', inner = ''] = match;
    const existing = fields[outer];
    const object =
      typeof existing === 'object' && existing !== null ? (existing as Record<string, unknown>) : {};
    object[inner] = value;
    fields[outer] = object;
  }
  return fields;
}
