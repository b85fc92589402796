import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, toApiErrorBody } from '@reelay/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { unsupportedType } from './bodies.ts';
import { readingMultipartBody } from './multipart.ts';

/**
 * The one place errors become HTTP answers, all in OpenAI's error shape. A client mistake is always a
 * 4xx naming what is wrong; anything unexpected is a 500 whose detail stays in the log.
 */
export function errorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error, request);
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

/** Node's HTTP parser errors (llhttp codes) and what they tell the client. */
const PARSER_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request line and headers are larger than 16 KiB.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received in time.'],
  HPE_INVALID_METHOD: [400, 'Unknown HTTP method.'],
  HPE_INVALID_URL: [400, 'Malformed request target (URL).'],
  HPE_INVALID_HEADER_TOKEN: [400, 'A header name or value contains a character HTTP does not allow.'],
  HPE_INVALID_VERSION: [400, 'Unsupported HTTP version.'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'A request may not carry both Content-Length and Transfer-Encoding.'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'Invalid Content-Length header.'],
  HPE_INVALID_TRANSFER_ENCODING: [
    400,
    'Invalid Transfer-Encoding: only chunked is accepted, and never together with Content-Length.',
  ],
  HPE_INVALID_CHUNK_SIZE: [400, 'Invalid chunk size in a chunked body.'],
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a bad method, a control character in a
 * header, headers over 16 KiB, a body framed two ways): the same OpenAI-shaped JSON as every other
 * error instead of Fastify's `{"error":"Bad Request","message":"Client Error"}`. Passed to Fastify as
 * `clientErrorHandler`; the connection is closed after the answer, as Node does.
 */
export function clientErrors(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = PARSER_ERRORS[error.code ?? ''] ?? [
    400,
    `Malformed HTTP request (${error.code}).`,
  ];
  this.log.debug({ code: error.code }, `client error: ${message}`);
  if (socket.writable) {
    const body = JSON.stringify(toApiErrorBody(new ApiError(status, 'invalid_request', message)));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const MULTIPART_CODES: Record<string, [number, string]> = {
  FST_REQ_FILE_TOO_LARGE: [413, 'The uploaded file is larger than the limit.'],
  FST_PARTS_LIMIT: [413, 'The multipart body has too many parts.'],
  FST_FILES_LIMIT: [400, 'Only one file (input_reference) may be uploaded.'],
  FST_FIELDS_LIMIT: [400, 'The multipart body has too many fields.'],
  FST_PROTO_VIOLATION: [400, 'Invalid multipart field name.'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [400, 'The request is not multipart/form-data.'],
};

function toApiError(error: FastifyError, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;

  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0]!;
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const unknownKeys = (issue.params as { keys?: string[] }).keys;
    if (issue.keyword === 'unrecognized_keys' && unknownKeys?.length) {
      const name = path ? `${path}.${unknownKeys[0]}` : unknownKeys[0]!;
      return new ApiError(400, 'invalid_request', `Unknown parameter: '${name}'.`, { param: name });
    }
    // A record key zod refused (a metadata key too long or empty): the key schema's own message, and
    // the record as the parameter rather than the (possibly very long) key itself.
    const keyIssue = (issue.params as { issues?: Array<{ message?: string }> }).issues?.[0]?.message;
    if (issue.keyword === 'invalid_key' && keyIssue) {
      const record = path.split('.').slice(0, -1).join('.') || null;
      return new ApiError(400, 'invalid_request', `Invalid parameter '${record}': ${keyIssue}.`, {
        param: record,
      });
    }
    const param = path || (error.validationContext === 'body' ? null : (error.validationContext ?? null));
    const where = error.validationContext === 'querystring' ? 'query parameter' : 'parameter';
    const message = param
      ? `Invalid ${where} '${param}': ${issue.message}.`
      : `Invalid request: ${issue.message}.`;
    return new ApiError(400, 'invalid_request', message.replace(/\.\.$/, '.'), { param });
  }

  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'payload_too_large', 'The request body is larger than the limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', unsupportedType(request));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_request', 'Content-Length does not match the body.');
  }
  const multipart = error.code ? MULTIPART_CODES[error.code] : undefined;
  if (multipart) {
    const [status, message] = multipart;
    return new ApiError(status, status === 413 ? 'payload_too_large' : 'invalid_multipart', message);
  }
  // Busboy's own parse errors ("Multipart: Boundary not found", "Unexpected end of form", "Malformed
  // part header", ...) carry no status code at all: anything raised while the body was being read is
  // the client's body (or its connection closing mid-upload), never a 500 or an error-level log line.
  if (readingMultipartBody(request) && (error.statusCode ?? 400) < 500) {
    if (error.code === 'ECONNRESET' || error.message === 'aborted') {
      return new ApiError(400, 'invalid_request', 'The client closed the connection before the body ended.');
    }
    return new ApiError(400, 'invalid_multipart', `Malformed multipart body: ${error.message}`);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError(error.statusCode, 'invalid_request', error.message);
  }
  return new ApiError(500, 'internal_error', 'Internal error. It has been logged; retry later.', {
    cause: error,
  });
}
