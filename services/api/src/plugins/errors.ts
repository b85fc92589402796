import { ApiError, toApiErrorBody } from '@reelay/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/**
 * The one place errors become HTTP answers, all in OpenAI's error shape. A client mistake is always a
 * 4xx naming what is wrong; anything unexpected is a 500 whose detail stays in the log.
 */
export function errorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error, request.isMultipart());
    const tenant = request.principal?.tenant;
    if (apiError.status >= 500) request.log.error({ err: error, tenant }, 'request failed');
    else request.log.info({ code: apiError.code, param: apiError.param, tenant }, apiError.message);
    return reply.code(apiError.status).headers(apiError.headers).send(toApiErrorBody(apiError));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(
      404,
      'not_found',
      `No route for ${request.method} ${request.url.split('?')[0]}.`,
    );
    return reply.code(404).send(toApiErrorBody(error));
  });
}

/**
 * Errors Fastify answers itself, before routing (a malformed percent-encoding, a path segment over
 * `maxParamLength`): without this Fastify's constructor option they bypass the error handler and come
 * in Fastify's own `{error, code, message, statusCode}` shape.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  void reply.code(status).send(toApiErrorBody(new ApiError(status, 'invalid_request', error.message)));
}

const MULTIPART_CODES: Record<string, [number, string]> = {
  FST_REQ_FILE_TOO_LARGE: [413, 'The uploaded file is larger than the limit.'],
  FST_PARTS_LIMIT: [413, 'The multipart body has too many parts.'],
  FST_FILES_LIMIT: [400, 'Only one file (input_reference) may be uploaded.'],
  FST_FIELDS_LIMIT: [400, 'The multipart body has too many fields.'],
  FST_PROTO_VIOLATION: [400, 'Invalid multipart field name.'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [400, 'The request is not multipart/form-data.'],
};

function toApiError(error: FastifyError, multipartRequest: boolean): ApiError {
  if (error instanceof ApiError) return error;

  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0]!;
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const unknownKeys = (issue.params as { keys?: string[] }).keys;
    if (issue.keyword === 'unrecognized_keys' && unknownKeys?.length) {
      const name = path ? `${path}.${unknownKeys[0]}` : unknownKeys[0]!;
      return new ApiError(400, 'invalid_request', `Unknown parameter: '${name}'.`, { param: name });
    }
    const param = path || (error.validationContext === 'body' ? null : (error.validationContext ?? null));
    const where = error.validationContext === 'querystring' ? 'query parameter' : 'parameter';
    const message = param
      ? `Invalid ${where} '${param}': ${issue.message}.`
      : `Invalid request: ${issue.message}.`;
    return new ApiError(400, 'invalid_request', message.replace(/\.\.$/, '.'), { param });
  }

  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalid_json', `The request body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'payload_too_large', 'The request body is larger than the limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        415,
        'unsupported_media_type',
        'Unsupported Content-Type: send application/json or multipart/form-data.',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_request', 'Content-Length does not match the body.');
  }
  const multipart = error.code ? MULTIPART_CODES[error.code] : undefined;
  if (multipart) {
    const [status, message] = multipart;
    return new ApiError(status, status === 413 ? 'payload_too_large' : 'invalid_multipart', message);
  }
  // Busboy's own parse errors ("Multipart: Boundary not found", "Unexpected end of form", "Malformed
  // part header", ...) carry no status code at all, so they must not need one to count as the client's
  // malformed body; only looked for on multipart requests, so that no internal error is taken for one.
  if (
    multipartRequest &&
    /multipart|boundary|end of form|part header/i.test(error.message) &&
    (error.statusCode ?? 400) < 500
  ) {
    return new ApiError(400, 'invalid_multipart', `Malformed multipart body: ${error.message}`);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError(error.statusCode, 'invalid_request', error.message);
  }
  return new ApiError(500, 'internal_error', 'Internal error. It has been logged; retry later.', {
    cause: error,
  });
}
