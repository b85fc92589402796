import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  headers: Record<string, string>;
  body: string;
}

/** How the receiver answers the next request: a status (with headers), or never (a hung endpoint). */
export type Behaviour =
  | { status: number; headers?: Record<string, string>; delayMs?: number }
  | { hang: true };

/**
 * A webhook endpoint for tests: a real HTTP server on 127.0.0.1 that records every request with its raw
 * body. Its answers are scripted; it can stop listening (endpoint down) and come back on the same port.
 */
export class Receiver {
  readonly received: Received[] = [];
  behaviour: Behaviour = { status: 204 };
  private server: Server | null = null;
  private readonly hung = new Set<ServerResponse>();
  port = 0;
  /** Requests open at once, now and at most so far. */
  inFlight = 0;
  maxInFlight = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/reelay`;
  }

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening (connections are refused) but keeps the port number for a restart. */
  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = String(value);
    this.received.push({ at: Date.now(), headers, body: Buffer.concat(chunks).toString('utf8') });
    const behaviour = this.behaviour;
    if ('hang' in behaviour) {
      this.hung.add(res);
      res.once('close', () => this.hung.delete(res));
      return;
    }
    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
    res.writeHead(behaviour.status, behaviour.headers ?? {});
    res.end(behaviour.status === 204 ? undefined : `answer ${behaviour.status}`);
  }
}
