import { ApiError } from '@reelay/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';

/**
 * Request bodies before validation:
 * - JSON parsed the way Fastify's own parser does (secure-json-parse, refusing `__proto__` and
 *   `constructor.prototype`) but keeping why a body failed: Fastify's parser answers every bad body with
 *   the same "Body is not valid JSON" and drops the position and the forbidden key;
 * - a compressed body refused (nothing here inflates one: gzip bytes would be read as broken JSON);
 * - a POST without a body validated as `{}`.
 */
export function requestBodies(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      throw new ApiError(
        415,
        'unsupported_media_type',
        `Content-Encoding '${encoding}' is not supported; send the body uncompressed.`,
      );
    }
  });
  // A POST with no body at all (no content type) is validated as an empty object: the routes whose
  // fields are all optional take it as "all defaults", the others name the first missing parameter
  // (instead of "expected object, received null").
  app.addHook('preValidation', async (request) => {
    if (request.body == null && request.headers['content-type'] === undefined && request.method !== 'GET')
      request.body = {};
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new ApiError(400, 'invalid_json', 'The request body is empty; send a JSON object.'), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const reason = (error as Error).message;
      const message = reason.includes('forbidden prototype property')
        ? 'The request body contains a forbidden key (__proto__ or constructor.prototype).'
        : `The request body is not valid JSON: ${reason}.`;
      done(new ApiError(400, 'invalid_json', message.replace(/\.\.$/, '.')), undefined);
    }
  });
}

/** A 415's message: the type sent, and the ones this route takes (the login form's differs). */
export function unsupportedType(request: FastifyRequest): string {
  const accepted = [
    request.server.hasContentTypeParser('application/x-www-form-urlencoded')
      ? 'application/x-www-form-urlencoded'
      : null,
    'application/json',
    request.routeOptions.config.multipart ? 'multipart/form-data' : null,
  ].filter(Boolean);
  const sent = request.headers['content-type']?.split(';')[0]?.trim();
  return `Unsupported Content-Type '${sent ?? ''}' for ${request.method} ${request.routeOptions.url ?? request.url}: send ${accepted.join(' or ')}.`;
}
