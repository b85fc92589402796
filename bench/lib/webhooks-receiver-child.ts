// The webhook endpoints of the webhooks bench, in a process of their own (forked by webhooks-receiver.ts):
// the bench process also runs the api and the embedded S3 server the workers upload to, and an arrival
// stamped on that event loop would wait behind their work. Here nothing else runs, so `at` is when the
// request's headers reached this machine's endpoint, give or take a scheduler tick.

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { Arrival, ReceiverCommand, ReceiverReply } from './webhooks-receiver.ts';

let arrivals: Arrival[] = [];
const dead = { connections: 0, open: 0 };
const sockets = new Set<Socket>();

/** Answers 204 as soon as the body is in: a healthy receiver that acknowledges first, works later. */
function answering(name: 'healthy' | 'control') {
  return (req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      arrivals.push({
        endpoint: name,
        at,
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(204).end();
    });
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

const healthy = createHttpServer(answering('healthy'));
const control = createHttpServer(answering('control'));
// Accepts the connection, reads whatever comes and never answers: every attempt ends in the sender's
// timeout, the worst case for a sender (a refused connection fails in a millisecond).
const blackHole = createTcpServer((socket) => {
  dead.connections++;
  dead.open++;
  sockets.add(socket);
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.on('close', () => {
    dead.open--;
    sockets.delete(socket);
  });
});
// The default keep-alive timeout (5 s) is longer than any gap between deliveries in a run.
for (const server of [healthy, control]) server.keepAliveTimeout = 60_000;

const ports = {
  healthy: await listen(healthy),
  control: await listen(control),
  dead: await listen(blackHole),
};

const reply = (message: ReceiverReply) => process.send?.(message);
process.on('message', (command: ReceiverCommand) => {
  if (command.type === 'count') {
    const counts = { healthy: 0, control: 0 };
    for (const a of arrivals) counts[a.endpoint]++;
    reply({ type: 'count', seq: command.seq, ...counts, deadConnections: dead.connections });
  } else if (command.type === 'take') {
    reply({
      type: 'take',
      seq: command.seq,
      arrivals,
      deadConnections: dead.connections,
      deadOpen: dead.open,
    });
    arrivals = [];
    dead.connections = 0;
  } else if (command.type === 'close') {
    for (const socket of sockets) socket.destroy();
    healthy.closeAllConnections();
    control.closeAllConnections();
    healthy.close();
    control.close();
    blackHole.close();
    process.disconnect?.();
  }
});
// The parent gone (killed, crashed): nothing to serve any more.
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready', ports });
