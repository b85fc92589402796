import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';

// The `truncate` fault: announce the full Content-Length, send part of the body, then drop the
// connection. That is what a flaky CDN or a provider restart looks like to a downloader, and the only
// honest test of "did you check the byte count before trusting the file". Fastify destroys the socket
// when a stream payload errors after the headers went out, which is exactly the behaviour wanted.

export function truncatedPayload(payload: unknown, reply: FastifyReply, fraction: number): Readable {
  let source: AsyncIterable<Buffer> | Iterable<Buffer>;
  let total: number;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const body = Buffer.from(payload);
    total = body.length;
    reply.header('content-length', String(total));
    source = [body];
  } else if (payload instanceof Readable) {
    total = Number(reply.getHeader('content-length'));
    source = payload;
  } else {
    total = 0;
    source = [];
  }
  // At least one byte goes out (so the headers do), and never the last one.
  const limit = Math.max(1, Math.min(total - 1, Math.floor(total * fraction)));
  return Readable.from(cut(source, limit, reply.raw), { objectMode: false });
}

async function* cut(source: AsyncIterable<Buffer> | Iterable<Buffer>, limit: number, res: ServerResponse) {
  let sent = 0;
  for await (const chunk of source) {
    const room = limit - sent;
    if (chunk.length >= room) {
      yield chunk.subarray(0, room);
      break;
    }
    sent += chunk.length;
    yield chunk;
  }
  // Let the partial body reach the socket before it is destroyed, or the client would see no bytes.
  for (
    let waited = 0;
    waited < 5000 && !res.destroyed && (waited < 20 || res.writableLength > 0);
    waited += 10
  ) {
    await sleep(10);
  }
  throw new Error('simulated truncated download');
}
