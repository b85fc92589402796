import { randomBytes } from 'node:crypto';
import type { Logger } from '@reelay/logger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { errorBody, SimError } from './errors.ts';
import { controlRoutes } from './routes/control.ts';
import { videoRoutes } from './routes/videos.ts';
import type { Simulator } from './simulator.ts';

// The simulator as a Fastify plugin: the wire under one prefix per flavor, the control API, health.
// server.ts owns listening and closing; tests may also `buildApp()` and use `inject()`.

declare module 'fastify' {
  interface FastifyInstance {
    sim: Simulator;
  }
}

export const simulatorApp: FastifyPluginAsync<{ simulator: Simulator }> = async (app, { simulator }) => {
  app.decorate('sim', simulator);
  app.decorateRequest('wire', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(errorBody(`Invalid URL (${request.method} ${request.url})`, 'invalid_request_error', null, null));
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode }, 'request done');
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(controlRoutes, { prefix: '/_sim' });
  await app.register(videoRoutes, { prefix: '/v1', flavor: simulator.config.SIM_FLAVOR });
  await app.register(videoRoutes, { prefix: '/openai/v1', flavor: 'openai' });
  await app.register(videoRoutes, { prefix: '/newapi/v1', flavor: 'newapi' });
};

/** A Fastify instance with the simulator registered, not yet listening. */
export async function buildApp(simulator: Simulator, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance type the default one.
    loggerInstance: logger as FastifyBaseLogger,
    // A poll every few ms per job in load tests: per-request info lines would drown everything else.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `req_${randomBytes(8).toString('hex')}`,
    // Data URLs of reference images arrive in JSON bodies; uploads are bounded per request in body.ts.
    bodyLimit: 32 * 1024 * 1024,
    // close() must not wait for a 1 GiB download a test walked away from: a test double can cut them.
    forceCloseConnections: true,
  });
  await app.register(simulatorApp, { simulator });
  return app;
}

/**
 * Every error leaves as OpenAI's error body. Framework 4xx (bad JSON, bad multipart, unsupported type)
 * keep their meaning as a 400 (413/415 stay); anything unexpected is a 500 with no detail leaked.
 */
function errorHandler(error: FastifyError | SimError, request: FastifyRequest, reply: FastifyReply) {
  reply.removeHeader('content-length');
  reply.removeHeader('content-range');
  reply.type('application/json; charset=utf-8');
  if (error instanceof SimError) {
    return reply.code(error.status).headers(error.headers).send(error.body());
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
    const code = /JSON/i.test(error.code ?? '') ? 'invalid_json' : 'invalid_request';
    return reply
      .code(status === 413 || status === 415 ? status : 400)
      .send(errorBody(error.message, 'invalid_request_error', null, code));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply
    .code(500)
    .send(errorBody('The server had an error while processing your request.', 'server_error', null, null));
}
