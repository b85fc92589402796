import type { Logger } from '@reelay/logger';
import closeWithGrace from 'close-with-grace';

export interface ShutdownOptions {
  /** How long the close may take before the process exits anyway. @defaultValue 10_000 */
  timeoutMs?: number;
}

/**
 * Runs `close` once on SIGTERM/SIGINT (or an uncaught error), then exits. The close order is the
 * caller's: HTTP first (stop taking work), then workers (finish or hand back jobs), then Redis.
 * A second signal, or the timeout, exits at once.
 */
export function closeOnSignal(
  logger: Logger,
  close: () => Promise<void>,
  options: ShutdownOptions = {},
): void {
  closeWithGrace({ delay: options.timeoutMs ?? 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an uncaught error');
    else logger.info({ signal }, 'shutting down');
    await close();
    logger.info('stopped');
  });
}

/** Prints one line for a fatal boot problem (no stack for known causes) and exits. */
export function failBoot(service: string, message: string, code = 1): never {
  process.stderr.write(`${service}: ${message}\n`);
  process.exit(code);
}
