import { TERMINAL_STATUSES } from '@reelay/contracts';
import type { VideoRecord } from '@reelay/jobs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';

/**
 * The streams open in this process, each as the function that ends it. A stream lasts until its video
 * finishes (minutes, hours): closing the api ends them rather than waiting.
 */
export type OpenStreams = Set<() => void>;

/** Comment lines keep proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events: the current video at once, then the video again on every status or progress
 * change, until it is completed, failed or canceled; then the stream ends. Event names are the status
 * (`queued`, `in_progress`, ...); `id:` is a counter so reconnecting clients can tell events apart.
 */
export async function streamEvents(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  initial: VideoRecord,
  present: (record: VideoRecord) => Promise<unknown>,
  open: OpenStreams,
): Promise<void> {
  const { tenant } = request.principal;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  let sequence = 0;
  let closed = false;
  let lastSent = '';
  const send = async (record: VideoRecord) => {
    const data = JSON.stringify(await present(record));
    // Several changes can collapse into one read; never repeat an identical event.
    if (closed || data === lastSent) return;
    lastSent = data;
    raw.write(`id: ${++sequence}\nevent: ${record.status}\ndata: ${data}\n\n`);
  };

  let unsubscribe: (() => Promise<void>) | undefined;
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const finish = () => {
    if (closed) return;
    closed = true;
    open.delete(shutdown);
    clearInterval(heartbeat);
    void unsubscribe?.();
    raw.end();
  };
  // The api is closing: end the stream and drop the connection once the end is sent. The server has
  // already stopped waiting for connections that are idle, and this one would otherwise keep it open
  // until the client let go; EventSource clients reconnect, to another api instance.
  const shutdown = () => {
    finish();
    raw.once('finish', () => request.raw.socket?.destroy());
  };
  open.add(shutdown);
  request.raw.on('close', finish);
  // The client may have gone while the video was loading, before there was a listener to tell.
  if (request.raw.socket?.destroyed) finish();

  // One chain for every read-and-send, the first included: a change arriving while the first event is
  // being prepared can neither overtake it nor be overtaken by it (no older state after a newer one).
  let reading = Promise.resolve();
  const update = (fallback?: VideoRecord) => {
    reading = reading
      .then(async () => {
        if (closed) return;
        const record = (await deps.store.get(tenant, initial.id)) ?? fallback;
        if (!record) return finish();
        await send(record);
        if (TERMINAL_STATUSES.has(record.status)) finish();
      })
      .catch((error: Error) => {
        // Redis went away: end the stream (clients reconnect) rather than leave a rejection unhandled.
        request.log.warn({ tenant, videoId: initial.id, err: error.message }, 'event stream failed');
        finish();
      });
  };
  // Subscribe before reading, so no change between the read and the subscription is lost.
  const stop = await deps.events.subscribe(deps.store.keys.events(tenant, initial.id), () => update());
  if (closed) {
    // The client left while we subscribed: finish() had nothing to unsubscribe yet.
    await stop();
    return;
  }
  unsubscribe = stop;
  update(initial);
  await reading;
}
