import { closeOnSignal } from '@reelay/lifecycle';
import { createLogger } from '@reelay/logger';
import { loadApiEnv } from './env.ts';
import { startApi } from './server.ts';

const env = loadApiEnv();
const logger = createLogger({ service: 'api', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
const api = await startApi(env, { logger });
closeOnSignal(logger, () => api.close(), { timeoutMs: env.SHUTDOWN_TIMEOUT_MS });
