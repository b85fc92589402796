import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that never reach a log line. API keys, webhook secrets and provider keys are the ones a leak
 * would hurt; they are censored wherever they appear in a logged object (request headers included).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'secret',
  '*.secret',
  '*.*.secret',
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  'webhookSecret',
  '*.webhookSecret',
  '*.authorization',
  '*.*.authorization',
  'apiKeys',
  '*.apiKeys',
  'secrets',
  '*.secrets',
];

/** Video prompts are the callers' content: censored unless `logPrompts` (LOG_PROMPTS=true). */
export const PROMPT_PATHS = ['prompt', '*.prompt', '*.*.prompt', '*.*.*.prompt'];

export interface LoggerConfig {
  /** Bound as `service` on every line. */
  service: string;
  /** @defaultValue 'info' */
  level?: string;
  /** Human-readable output for the local stack; JSON (one object a line) elsewhere. @defaultValue false */
  pretty?: boolean;
  /** Extra paths to censor. */
  redact?: string[];
  /** Log video prompts as they are (LOG_PROMPTS); otherwise they are censored. @defaultValue false */
  logPrompts?: boolean;
  /** Write somewhere other than stdout (tests capture log output with this; the bench, a file). */
  destination?: NodeJS.WritableStream | DestinationStream;
}

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service },
    redact: {
      paths: [...REDACT_PATHS, ...(config.logPrompts ? [] : PROMPT_PATHS), ...(config.redact ?? [])],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.destination) return pino(options, config.destination as DestinationStream);
  if (config.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' },
      },
    });
  }
  return pino(options);
}
