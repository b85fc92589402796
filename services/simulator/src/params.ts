import { imageInfo } from '@reelay/media';
import type { RequestBody, UploadedFile } from './body.ts';
import {
  DEFAULT_MODEL,
  DEFAULT_SECONDS,
  DEFAULT_SIZE,
  dimensions,
  MODELS,
  type Model,
  SECONDS,
  type Seconds,
  SIZES,
  SIZES_BY_MODEL,
  type Size,
} from './catalog.ts';
import { type Directives, parseDirectives } from './directives.ts';
import { invalid, type SimError } from './errors.ts';

// Validation of create and remix parameters, worded like OpenAI's 400s and always naming the `param`,
// so a client (or a test) can tell exactly which field was rejected. Unknown extra fields are ignored,
// as gateways do (they forward vendor-specific fields).

export const MAX_PROMPT_CHARS = 32_000;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

export interface CreateParams {
  prompt: string;
  model: Model;
  size: Size;
  seconds: Seconds;
  inputReference: 'file' | 'image_url' | 'file_id' | null;
  directives: Directives;
}

export function parseCreate(body: RequestBody): CreateParams {
  const { fields } = body;
  const prompt = parsePrompt(fields.prompt);
  const model = oneOf('model', fields.model, MODELS, DEFAULT_MODEL);
  const seconds = oneOf('seconds', fields.seconds, SECONDS, DEFAULT_SECONDS);
  const size = oneOf('size', fields.size, SIZES, DEFAULT_SIZE);
  if (!SIZES_BY_MODEL[model].includes(size)) {
    throw invalid(
      'size',
      `Invalid size '${size}' for model '${model}'. Supported: ${list(SIZES_BY_MODEL[model])}.`,
    );
  }
  const inputReference = parseReference(body.file, fields.input_reference, size);
  return { prompt, model, size, seconds, inputReference, directives: parseDirectives(prompt) };
}

export function parseRemix(body: RequestBody): { prompt: string; directives: Directives } {
  const prompt = parsePrompt(body.fields.prompt);
  return { prompt, directives: parseDirectives(prompt) };
}

function parsePrompt(value: unknown): string {
  if (value === undefined) {
    throw invalid('prompt', "Missing required parameter: 'prompt'.", 'missing_required_parameter');
  }
  if (typeof value !== 'string') throw typeError('prompt', 'a string', value);
  if (value.length === 0) throw invalid('prompt', "Invalid 'prompt': empty string.", 'empty_string');
  if (value.length > MAX_PROMPT_CHARS) {
    throw invalid(
      'prompt',
      `Invalid 'prompt': string too long. Expected a maximum length of ${MAX_PROMPT_CHARS}, got ${value.length}.`,
      'string_above_max_length',
    );
  }
  return value;
}

function oneOf<T extends string>(param: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  // `seconds` is a string on this wire: a JSON integer is a client bug the real API rejected.
  if (typeof value !== 'string') throw typeError(param, `one of ${list(allowed)}`, value);
  if (!allowed.includes(value as T)) {
    throw invalid(param, `Invalid value: '${value}'. Supported values are: ${list(allowed)}.`);
  }
  return value as T;
}

function parseReference(
  file: UploadedFile | null,
  value: unknown,
  size: Size,
): CreateParams['inputReference'] {
  if (file && value !== undefined) {
    throw invalid('input_reference', 'Provide input_reference either as a file or as an object, not both.');
  }
  if (file) {
    if (!IMAGE_TYPES.includes(file.mimetype)) {
      throw invalid(
        'input_reference',
        `Unsupported input_reference type '${file.mimetype}'. Supported: ${list(IMAGE_TYPES)}.`,
        'unsupported_file_type',
      );
    }
    checkImage(file.data, size);
    return 'file';
  }
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw typeError('input_reference', 'an image file or an object with image_url or file_id', value);
  }
  const { image_url: imageUrl, file_id: fileId } = value as Record<string, unknown>;
  if ((imageUrl === undefined) === (fileId === undefined)) {
    throw invalid('input_reference', 'input_reference must have exactly one of image_url or file_id.');
  }
  if (fileId !== undefined) {
    if (typeof fileId !== 'string' || fileId === '')
      throw typeError('input_reference.file_id', 'a file id', fileId);
    return 'file_id';
  }
  if (typeof imageUrl !== 'string') throw typeError('input_reference.image_url', 'a URL', imageUrl);
  checkImageUrl(imageUrl, size);
  return 'image_url';
}

/** http(s) URLs are taken on trust (no fetching); base64 data URLs are checked like an upload. */
function checkImageUrl(url: string, size: Size): void {
  const data = /^data:(image\/[a-z+.-]+);base64,(.*)$/s.exec(url);
  if (data) {
    checkImage(Buffer.from(data[2] ?? '', 'base64'), size);
    return;
  }
  if (!/^https?:\/\/\S+$/.test(url)) {
    throw invalid('input_reference.image_url', 'image_url must be an http(s) URL or a base64 data URL.');
  }
}

function checkImage(data: Buffer, size: Size): void {
  const info = imageInfo(data);
  if (!info) throw invalid('input_reference', 'input_reference is not a readable JPEG, PNG or WebP image.');
  const { width, height } = dimensions(size);
  if (info.width !== width || info.height !== height) {
    throw invalid(
      'input_reference',
      `Inpaint image must match the requested width and height: got ${info.width}x${info.height}, expected ${size}.`,
    );
  }
}

function typeError(param: string, expected: string, value: unknown): SimError {
  const got = Number.isInteger(value)
    ? 'an integer'
    : Array.isArray(value)
      ? 'an array'
      : `a ${typeof value}`;
  return invalid(
    param,
    `Invalid type for '${param}': expected ${expected}, but got ${got} instead.`,
    'invalid_type',
  );
}

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
