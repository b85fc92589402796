import { loadConfig } from '@reelay/config';
import { createLogger } from '@reelay/logger';
import closeWithGrace from 'close-with-grace';
import { simulatorConfigSchema } from './env.ts';
import { startSimulator } from './server.ts';

// Boot: `node services/simulator/src/main.ts`, configured by SIM_* variables (see env.ts). The
// "simulator listening" line carries the URL, which is how a parent that passed SIM_PORT=0 finds it.

const config = loadConfig('simulator', simulatorConfigSchema);
const logger = createLogger({ service: 'simulator', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
const sim = await startSimulator(config, { logger });
logger.info(
  { url: sim.url, port: sim.port, flavor: config.SIM_FLAVOR, timeFactor: config.SIM_TIME_FACTOR },
  'simulator listening',
);

// SIGTERM/SIGINT: stop accepting, cut open downloads (a test double owes nobody a graceful drain),
// exit. A second signal or 10 s without finishing exits at once.
closeWithGrace({ delay: 10_000, logger }, async ({ err, signal }) => {
  if (err) logger.error({ err }, 'simulator crashed');
  else logger.info({ signal }, 'simulator stopping');
  await sim.close();
});
