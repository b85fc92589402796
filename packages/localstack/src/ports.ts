import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1. For servers (like redis-server) that cannot be told
 * to listen on port 0 and report back; the small window before they bind is acceptable for local use.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
