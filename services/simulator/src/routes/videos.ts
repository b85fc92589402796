import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { readBody } from '../body.ts';
import { conflict, invalid, SimError } from '../errors.ts';
import { deletedObject, type Flavor, listObject, videoObject } from '../flavors.ts';
import { callerKey, installGuard } from '../guard.ts';
import { CONTENT_TYPES, VARIANTS, type Variant } from '../media.ts';
import { hashing, parseRange } from '../padding.ts';
import { parseCreate, parseRemix } from '../params.ts';
import type { Job } from '../store.ts';
import { phaseAt, pollAfterMs } from '../timing.ts';

// The Videos wire, registered once per flavor under its prefix (`/v1`, `/openai/v1`, `/newapi/v1`).
// Handlers only translate: the rules live in Simulator, the shapes in flavors.ts.

export interface VideoRoutesOptions {
  flavor: Flavor;
}

type IdParams = { Params: { id: string } };

export const videoRoutes: FastifyPluginAsync<VideoRoutesOptions> = async (app, { flavor }) => {
  const sim = app.sim;
  const ttlS = sim.config.SIM_CONTENT_TTL_S;
  // Body limits for uploads are set per request in body.ts; the plugin only parses the content type.
  await app.register(multipart);
  installGuard(app, flavor);

  /** The video object as of now, with a polling hint while the job is still moving. */
  function present(reply: FastifyReply, job: Job) {
    const now = Date.now();
    const phase = phaseAt(job.createdAt, job.plan, now);
    const pollAfter = pollAfterMs(phase, now, sim.config.SIM_TIME_FACTOR);
    if (pollAfter !== null) reply.header('openai-poll-after-ms', String(pollAfter));
    return videoObject(flavor, job, phase, now, ttlS);
  }

  app.post('/videos', { config: { op: 'create' } }, async (request, reply) => {
    const params = parseCreate(await readBody(request));
    return present(reply, sim.create('create', callerKey(request), flavor, params, null));
  });

  app.get<IdParams>('/videos/:id', { config: { op: 'retrieve' } }, async (request, reply) =>
    present(reply, sim.store.find(request.params.id, callerKey(request))),
  );

  app.get('/videos', { config: { op: 'list' } }, async (request) => {
    const query = request.query as Record<string, unknown>;
    const page = sim.store.page(callerKey(request), {
      limit: parseLimit(query.limit),
      order: parseOrder(query.order),
      after: typeof query.after === 'string' && query.after !== '' ? query.after : undefined,
    });
    const now = Date.now();
    const data = page.data.map((job) =>
      videoObject(flavor, job, phaseAt(job.createdAt, job.plan, now), now, ttlS),
    );
    return listObject(data, page.hasMore);
  });

  app.delete<IdParams>('/videos/:id', { config: { op: 'delete' } }, async (request) => {
    const now = Date.now();
    const job = sim.store.find(request.params.id, callerKey(request));
    const { status } = phaseAt(job.createdAt, job.plan, now);
    if (status !== 'completed' && status !== 'failed') {
      throw conflict(
        `Video '${job.id}' is ${status}; only completed or failed videos can be deleted.`,
        'video_not_finished',
      );
    }
    sim.store.delete(job, now);
    return deletedObject(job.id);
  });

  app.post<IdParams>('/videos/:id/remix', { config: { op: 'remix' } }, async (request, reply) => {
    const key = callerKey(request);
    const source = sim.store.find(request.params.id, key);
    const { status } = phaseAt(source.createdAt, source.plan, Date.now());
    if (status !== 'completed') {
      throw conflict(
        `Video '${source.id}' is ${status}; only a completed video can be remixed.`,
        'video_not_ready',
      );
    }
    const { prompt, directives } = parseRemix(await readBody(request));
    const params = { prompt, directives, model: source.model, size: source.size, seconds: source.seconds };
    return present(reply, sim.create('remix', key, flavor, { ...params, inputReference: null }, source.id));
  });

  app.get<IdParams>('/videos/:id/content', { config: { op: 'content' } }, async (request, reply) => {
    const now = Date.now();
    const job = sim.store.find(request.params.id, callerKey(request));
    const variant = parseVariant((request.query as Record<string, unknown>).variant);
    const phase = phaseAt(job.createdAt, job.plan, now);
    if (phase.status === 'failed')
      throw conflict(`Video '${job.id}' failed; it has no content.`, 'video_failed');
    if (phase.status !== 'completed' || phase.finishedAt === null) {
      throw conflict(
        `Video '${job.id}' is not ready yet (${phase.status}); poll until it is completed.`,
        'video_not_ready',
      );
    }
    if (now > phase.finishedAt + ttlS * 1000) {
      throw new SimError(404, `The content of video '${job.id}' has expired.`, { code: 'video_expired' });
    }
    return sendContent(request, reply, job, variant);
  });

  /** Streams the variant, honouring a single Range; a full video download also records its sha256. */
  function sendContent(request: FastifyRequest, reply: FastifyReply, job: Job, variant: Variant) {
    const source = sim.media.source(job, variant);
    const range = parseRange(request.headers.range, source.size);
    reply.header('accept-ranges', 'bytes').type(CONTENT_TYPES[variant]);
    if (range === 'unsatisfiable') {
      throw new SimError(416, `Range not satisfiable: the content is ${source.size} bytes.`, {
        code: 'range_not_satisfiable',
        headers: { 'content-range': `bytes */${source.size}` },
      });
    }
    const { start, end } = range ?? { start: 0, end: source.size };
    if (range) reply.code(206).header('content-range', `bytes ${start}-${end - 1}/${source.size}`);
    reply.header('content-length', String(end - start));
    let chunks = source.chunks(start, end);
    if (variant === 'video' && !range && !sim.media.knownDigest(job.id)) {
      chunks = hashing(chunks, (sha256) => sim.media.remember(job.id, { bytes: source.size, sha256 }));
    }
    return reply.send(Readable.from(chunks, { objectMode: false }));
  }
};

function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return 20;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < 1 || n > 100) {
    throw invalid('limit', `Invalid 'limit': expected an integer 1..100, got '${String(value)}'.`);
  }
  return n;
}

function parseOrder(value: unknown): 'asc' | 'desc' {
  if (value === undefined || value === '') return 'desc';
  if (value === 'asc' || value === 'desc') return value;
  throw invalid('order', `Invalid 'order': expected 'asc' or 'desc', got '${String(value)}'.`);
}

function parseVariant(value: unknown): Variant {
  if (value === undefined || value === '') return 'video';
  if (typeof value === 'string' && (VARIANTS as readonly string[]).includes(value)) return value as Variant;
  throw invalid('variant', `Invalid 'variant': expected one of 'video', 'thumbnail', 'spritesheet'.`);
}
