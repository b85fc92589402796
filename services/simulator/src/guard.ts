import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SimError } from './errors.ts';
import { cannedResponse, type Fault, type Op } from './faults.ts';
import type { Flavor } from './flavors.ts';
import { rateLimited } from './limits.ts';
import { truncatedPayload } from './truncate.ts';

// What happens to every wire request before and after its route, in this order: authenticate the
// bearer key (401), spend a rate token (429, headers on every answer), then maybe inject a fault.
// Faults that pre-empt the operation answer here; `after` faults and truncation act in onSend, once the
// operation has really happened.

export interface WireContext {
  flavor: Flavor;
  op: Op;
  /** The bearer key (the tenant); null when authentication failed. */
  key: string | null;
  /** A fault to apply to the answer (truncate, or an `after` fault). */
  fault: Fault | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    wire: WireContext | null;
  }
  interface FastifyContextConfig {
    /** Set on wire routes: what the request counts as for stats, limits and fault matching. */
    op?: Op;
  }
}

/** The caller's key from `Authorization: Bearer <key>`, as the request's wire context says it passed. */
export function callerKey(request: FastifyRequest): string {
  const key = request.wire?.key;
  if (!key) throw new Error('wire route without an authenticated key');
  return key;
}

export function installGuard(app: FastifyInstance, flavor: Flavor): void {
  const sim = app.sim;

  app.addHook('onRequest', async (request, reply) => {
    const op = request.routeOptions.config.op;
    if (!op) return;
    reply.header('x-request-id', `req_${randomBytes(16).toString('hex')}`);
    const wire: WireContext = { flavor, op, key: null, fault: null };
    request.wire = wire;
    const key = authenticate(request.headers.authorization, sim.config.SIM_API_KEYS);
    if (key instanceof SimError) {
      sim.stats.bump(op, null, 'requests');
      throw key;
    }
    wire.key = key;
    sim.stats.bump(op, key, 'requests');

    const rate = sim.limiter.take(key, Date.now());
    reply.headers(rate.headers);
    if (!rate.allowed) {
      sim.stats.bump(op, key, 'rateLimited');
      throw rateLimited(rate.retryAfterMs, sim.config.SIM_RPM);
    }

    const fault = sim.faults.take(op, key, flavor);
    if (!fault) return;
    sim.stats.fault(op, key, fault.kind);
    request.log.debug({ op, fault }, 'injecting fault');
    if (fault.kind === 'slow') {
      await sleep(fault.delayMs);
      return;
    }
    if (fault.kind === 'truncate' || fault.after) {
      wire.fault = fault;
      return;
    }
    if (fault.kind === 'reset') {
      // No answer at all: the client sees ECONNRESET / "socket hang up".
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    return sendCanned(reply, fault, flavor);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const fault = request.wire?.fault;
    if (!fault) return payload;
    request.wire!.fault = null;
    if (fault.kind === 'truncate') return truncatedPayload(payload, reply, fault.fraction);
    // An `after` fault: the operation happened; its answer is replaced (or never arrives).
    if (payload instanceof Readable) payload.destroy();
    if (fault.kind === 'reset') {
      request.raw.socket.destroy();
      return '';
    }
    const canned = cannedResponse(fault, flavor);
    reply.removeHeader('content-length');
    reply.removeHeader('content-range');
    reply.code(canned.status).headers(canned.headers).type('application/json; charset=utf-8');
    return JSON.stringify(canned.body);
  });

  app.addHook('onResponse', async (request, reply) => {
    const wire = request.wire;
    if (wire) sim.stats.status(wire.op, wire.key, reply.statusCode);
  });
}

function sendCanned(reply: FastifyReply, fault: Fault, flavor: Flavor): FastifyReply {
  const canned = cannedResponse(fault, flavor);
  return reply.code(canned.status).headers(canned.headers).send(canned.body);
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function authenticate(header: string | undefined, allowed: string[]): string | SimError {
  const key = header ? BEARER.exec(header)?.[1] : undefined;
  if (!key) {
    return new SimError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { code: 'missing_api_key' },
    );
  }
  if (allowed.length > 0 && !allowed.includes(key)) {
    return new SimError(401, `Incorrect API key provided: ${redact(key)}.`, { code: 'invalid_api_key' });
  }
  return key;
}

/** OpenAI echoes a key as `sk-ab***yz`: enough to recognise it, not enough to use it. */
const redact = (key: string) => (key.length <= 8 ? '***' : `${key.slice(0, 4)}***${key.slice(-2)}`);
