import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedAgent } from './agent.ts';
import { parseAllowList } from './allow-list.ts';
import { NetError, type NetErrorKind } from './errors.ts';
import type { NetPolicy, ResolvedAddress } from './policy.ts';
import { guardedRequest } from './request.ts';
import { BLOCKED_LITERALS } from './ssrf-cases.ts';

// Real HTTP servers on loopback and the real undici client; only DNS is injected. "Before any
// connection" is proven twice: the servers count accepted sockets, and undici's diagnostics channels
// count the connections it opened.

interface Receiver {
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string; body: string; localAddress: string }>;
}

const closers: Array<() => Promise<void>> = [];
const agents: Dispatcher[] = [];

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
  port = 0,
): Promise<Receiver> {
  const receiver: Receiver = { port: 0, connections: 0, requests: [] };
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    receiver.requests.push({
      method: req.method!,
      url: req.url!,
      body,
      localAddress: req.socket.localAddress!,
    });
    handler(req, res);
  });
  server.on('connection', () => receiver.connections++);
  server.listen(port, host);
  await once(server, 'listening');
  receiver.port = (server.address() as AddressInfo).port;
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  return receiver;
}

/** A TCP server answering whatever arrives with `onData`, for the failures HTTP servers do not make. */
async function serveRaw(onData: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => onData(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => server.close(done));
  });
  return (server.address() as AddressInfo).port;
}

function agentFor(policy: NetPolicy): Dispatcher {
  const agent = createGuardedAgent(policy, { connectTimeoutMs: 2_000 });
  agents.push(agent);
  return agent;
}

/** A resolver that answers with the next entry of `answers` on each call (the last one repeats). */
function scripted(answers: string[][]): NetPolicy['resolve'] & { calls: number } {
  const state = { calls: 0 };
  const resolve = async (_hostname: string): Promise<ResolvedAddress[]> => {
    const answer = answers[Math.min(state.calls, answers.length - 1)]!;
    state.calls++;
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.defineProperty(resolve, 'calls', { get: () => state.calls }) as typeof resolve & {
    calls: number;
  };
}

async function failure(promise: Promise<unknown>): Promise<NetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetError);
  return error as NetError;
}

const POST = {
  method: 'POST' as const,
  headers: { 'content-type': 'application/json' },
  body: '{}',
  timeoutMs: 2_000,
};
const none = parseAllowList([]);
const local: NetPolicy = { requireHttps: false, allow: parseAllowList(['127.0.0.1']) };

// Connections undici opened and attempted, across the whole file.
const undiciEvents = { beforeConnect: 0, connected: 0 };
const onBeforeConnect = () => undiciEvents.beforeConnect++;
const onConnected = () => undiciEvents.connected++;
beforeAll(() => {
  subscribe('undici:client:beforeConnect', onBeforeConnect);
  subscribe('undici:client:connected', onConnected);
});
afterAll(() => {
  unsubscribe('undici:client:beforeConnect', onBeforeConnect);
  unsubscribe('undici:client:connected', onConnected);
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.destroy()));
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('guardedRequest', () => {
  it('POSTs to an allow-listed receiver and returns its status, headers and body', async () => {
    const receiver = await serve((_req, res) => {
      res.writeHead(201, { 'x-test': 'a' }).end('created');
    });
    const answer = await guardedRequest(
      `http://127.0.0.1:${receiver.port}/hook?n=1#frag`,
      { ...POST, body: '{"event":"video.completed"}' },
      agentFor(local),
      local,
    );
    expect(answer).toMatchObject({ status: 201, body: 'created' });
    expect(answer.headers['x-test']).toBe('a');
    expect(answer.durationMs).toBeGreaterThan(0);
    expect(receiver.requests).toEqual([
      { method: 'POST', url: '/hook?n=1', body: '{"event":"video.completed"}', localAddress: '127.0.0.1' },
    ]);
  });

  it('blocks every non-public IP literal before any connection', async () => {
    const receiver = await serve((_req, res) => res.end('reached'));
    const agent = agentFor({ requireHttps: false, allow: none });
    const before = { ...undiciEvents };
    const urls = [
      `http://127.0.0.1:${receiver.port}/`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/`,
      `http://2130706433:${receiver.port}/`,
      ...BLOCKED_LITERALS.map(([url]) => url),
    ];
    for (const url of urls) {
      const error = await failure(guardedRequest(url, POST, agent, { requireHttps: false, allow: none }));
      expect(error.kind, url).toBe('blocked');
      expect(error.message).toMatch(/^request to \S+ blocked: \S+ (\(IPv4 [0-9.]+\) )?is a [\w -]+ address/);
    }
    expect(undiciEvents).toEqual(before);
    expect(receiver.connections).toBe(0);
  });

  it('blocks IP hosts in the agent itself, since Node never calls lookup for them', async () => {
    const receiver = await serve((_req, res) => res.end('reached'));
    const agent = agentFor({ requireHttps: false, allow: none });
    for (const origin of [`http://127.0.0.1:${receiver.port}`, `http://[::ffff:7f00:1]:${receiver.port}`]) {
      const error = await agent.request({ origin, path: '/', method: 'GET' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NetError);
      expect((error as NetError).kind).toBe('blocked');
    }
    expect(receiver.connections).toBe(0);
  });

  it('blocks localhost through the real OS resolver', async () => {
    const receiver = await serve((_req, res) => res.end('reached'));
    const policy: NetPolicy = { requireHttps: false, allow: none };
    const error = await failure(
      guardedRequest(`http://localhost:${receiver.port}/`, POST, agentFor(policy), policy),
    );
    expect(error.kind).toBe('blocked');
    expect(error.message).toBe(
      `request to localhost:${receiver.port} blocked: localhost resolves to a loopback address, not a public one`,
    );
    expect(receiver.connections).toBe(0);
  });

  it('blocks a hostname with any private answer, before connecting to any of them', async () => {
    const receiver = await serve((_req, res) => res.end('reached'));
    for (const answer of [
      ['127.0.0.1'],
      ['10.0.0.7'],
      ['93.184.215.14', '127.0.0.1'],
      ['::ffff:169.254.169.254'],
    ]) {
      const policy: NetPolicy = { requireHttps: false, allow: none, resolve: scripted([answer]) };
      const before = undiciEvents.connected;
      const error = await failure(
        guardedRequest(`http://hooks.example:${receiver.port}/`, POST, agentFor(policy), policy),
      );
      expect(error.kind, answer.join()).toBe('blocked');
      expect(error.message).toMatch(
        new RegExp(`^request to hooks.example:${receiver.port} blocked: hooks.example resolves to a `),
      );
      expect(undiciEvents.connected).toBe(before);
    }
    expect(receiver.connections).toBe(0);
  });

  it('connects to the address it checked: one resolution per connection, no rebinding', async () => {
    // The checked answer is 127.0.0.1; a second resolution would say 127.0.0.2, where another server
    // listens on the same port: a guard that checks one answer and connects by another reaches it.
    const good = await serve((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
    const rebound = await serve((_req, res) => res.end('rebound'), '127.0.0.2', good.port);
    const resolve = scripted([['127.0.0.1'], ['127.0.0.2']]);
    const policy: NetPolicy = { requireHttps: false, allow: parseAllowList(['127.0.0.1']), resolve };
    const agent = agentFor(policy);
    const url = `http://rebind.example:${good.port}/hook`;

    const first = await guardedRequest(url, POST, agent, policy);
    expect(first).toMatchObject({ status: 200, body: 'ok' });
    expect(resolve.calls).toBe(1);
    expect(good.requests.map((r) => r.localAddress)).toEqual(['127.0.0.1']);

    // `connection: close` forces a new connection, hence a new resolution, which is checked again.
    const error = await failure(guardedRequest(url, POST, agent, policy));
    expect(error.kind).toBe('blocked');
    expect(resolve.calls).toBe(2);
    expect(rebound.connections).toBe(0);
    expect(good.connections).toBe(1);
  });

  it('resolves once per connection, not per request', async () => {
    const receiver = await serve((_req, res) => res.end('ok'));
    const resolve = scripted([['127.0.0.1']]);
    const policy: NetPolicy = { requireHttps: false, allow: parseAllowList(['127.0.0.1']), resolve };
    const agent = agentFor(policy);
    const url = `http://keep.example:${receiver.port}/`;
    for (const method of ['GET', 'GET', 'GET', 'POST', 'POST'] as const) {
      const body = method === 'POST' ? '{}' : undefined;
      expect((await guardedRequest(url, { ...POST, method, body }, agent, policy)).status).toBe(200);
      // Let undici mark the connection idle; a request sent at once may find it busy and open another.
      await new Promise((done) => setTimeout(done, 5));
    }
    expect(receiver.requests).toHaveLength(5);
    expect({ resolutions: resolve.calls, connections: receiver.connections }).toEqual({
      resolutions: 1,
      connections: 1,
    });
  });

  it('returns a redirect as the response and never connects to its Location', async () => {
    const elsewhere = await serve((_req, res) => res.end('followed'));
    for (const location of [
      'http://169.254.169.254/latest/meta-data/',
      `http://127.0.0.1:${elsewhere.port}/`,
    ]) {
      const receiver = await serve((_req, res) => res.writeHead(302, { location }).end());
      const before = undiciEvents.connected;
      const answer = await guardedRequest(`http://127.0.0.1:${receiver.port}/`, POST, agentFor(local), local);
      expect(answer).toMatchObject({ status: 302, body: '' });
      expect(answer.headers.location).toBe(location);
      expect(undiciEvents.connected - before).toBe(1);
    }
    expect(elsewhere.connections).toBe(0);
  });

  it('refuses http when https is required, and credentials in the URL, before connecting', async () => {
    const receiver = await serve((_req, res) => res.end('reached'));
    const prod: NetPolicy = { requireHttps: true, allow: parseAllowList(['127.0.0.1']) };
    const insecure = await failure(
      guardedRequest(`http://127.0.0.1:${receiver.port}/`, POST, agentFor(prod), prod),
    );
    expect(insecure.message).toBe(
      `request to 127.0.0.1:${receiver.port} blocked: only https URLs are allowed`,
    );
    const secret = await failure(
      guardedRequest(`http://alice:hunter2@127.0.0.1:${receiver.port}/`, POST, agentFor(local), local),
    );
    expect(secret.kind).toBe('blocked');
    expect(secret.message).toBe(
      `request to 127.0.0.1:${receiver.port} blocked: URLs must not contain user:password@`,
    );
    expect(receiver.connections).toBe(0);
  });

  it('lets an allow-listed CIDR or hostname through, and only those', async () => {
    const receiver = await serve((_req, res) => res.end('ok'));
    const cidr: NetPolicy = { requireHttps: false, allow: parseAllowList(['127.0.0.0/8']) };
    expect(
      (await guardedRequest(`http://127.0.0.1:${receiver.port}/`, POST, agentFor(cidr), cidr)).body,
    ).toBe('ok');

    const named: NetPolicy = {
      requireHttps: false,
      allow: parseAllowList(['hooks.local']),
      resolve: scripted([['127.0.0.1']]),
    };
    const agent = agentFor(named);
    expect((await guardedRequest(`http://hooks.local:${receiver.port}/`, POST, agent, named)).body).toBe(
      'ok',
    );
    const other = await failure(guardedRequest(`http://other.local:${receiver.port}/`, POST, agent, named));
    expect(other.kind).toBe('blocked');
    expect(receiver.connections).toBe(2);
  });

  it('times out within timeoutMs on a receiver that never answers, naming the host but not the query', async () => {
    const receiver = await serve(() => {});
    const started = performance.now();
    const error = await failure(
      guardedRequest(
        `http://127.0.0.1:${receiver.port}/hook?token=s3cret`,
        { ...POST, timeoutMs: 300 },
        agentFor(local),
        local,
      ),
    );
    const elapsed = performance.now() - started;
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(
      `request to 127.0.0.1:${receiver.port} failed: no complete response within 300 ms`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_300);
  });

  it('times out on a resolver that never answers', async () => {
    const policy: NetPolicy = { requireHttps: false, allow: none, resolve: () => new Promise(() => {}) };
    const started = performance.now();
    const error = await failure(
      guardedRequest('https://slow-dns.example/', { ...POST, timeoutMs: 200 }, agentFor(policy), policy),
    );
    expect(error.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1_200);
  });

  it('keeps at most maxResponseBytes of the body', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const receiver = await serve((req, res) => res.end(req.url === '/utf8' ? 'é'.repeat(10) : big));
    const agent = agentFor(local);
    const url = `http://127.0.0.1:${receiver.port}`;
    expect((await guardedRequest(url, { ...POST, maxResponseBytes: 100 }, agent, local)).body).toBe(
      'x'.repeat(100),
    );
    expect((await guardedRequest(url, POST, agent, local)).body).toBe('x'.repeat(4096));
    // 5 bytes hold two 2-byte characters; the half of the third is dropped, not turned into U+FFFD.
    expect((await guardedRequest(`${url}/utf8`, { ...POST, maxResponseBytes: 5 }, agent, local)).body).toBe(
      'éé',
    );
    expect((await guardedRequest(`${url}/utf8`, { ...POST, maxResponseBytes: 20 }, agent, local)).body).toBe(
      'é'.repeat(10),
    );
  });

  it.each<[NetErrorKind, string, (socket: Socket) => void]>([
    ['reset', 'connection closed by the server (UND_ERR_SOCKET)', (socket) => socket.destroy()],
    ['protocol', 'invalid HTTP response', (socket) => socket.end('NOT HTTP AT ALL\r\n\r\n')],
  ])('classifies a receiver failure as %s', async (kind, detail, onData) => {
    const port = await serveRaw(onData);
    const error = await failure(guardedRequest(`http://127.0.0.1:${port}/`, POST, agentFor(local), local));
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(`request to 127.0.0.1:${port} failed: ${detail}`);
  });

  it('classifies TLS, refused and DNS failures', async () => {
    const plain = await serveRaw((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const tls = await failure(guardedRequest(`https://127.0.0.1:${plain}/`, POST, agentFor(local), local));
    expect(tls.kind).toBe('tls');

    const closed = await serve(() => {});
    await closers.pop()!();
    const refused = await failure(
      guardedRequest(`http://127.0.0.1:${closed.port}/`, POST, agentFor(local), local),
    );
    expect(refused.message).toBe(
      `request to 127.0.0.1:${closed.port} failed: connection refused (ECONNREFUSED)`,
    );
    expect(refused.kind).toBe('connect');

    const policy: NetPolicy = {
      requireHttps: false,
      allow: none,
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    };
    const dns = await failure(guardedRequest('https://gone.example/', POST, agentFor(policy), policy));
    expect(dns.kind).toBe('dns');
    expect(dns.message).toBe('request to gone.example failed: gone.example did not resolve (ENOTFOUND)');
  });

  it('refuses a dispatcher that is not a guarded agent', async () => {
    const plain = new Agent();
    agents.push(plain);
    await expect(guardedRequest('https://example.com/', POST, plain, local)).rejects.toThrow(TypeError);
  });
});
