import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { redisServerAvailable, startRedisServer, startS3Server } from '@reelay/localstack';
import { type Child, spawnNode, waitHealthy } from './children.ts';
import { devApiKey } from './dev-key.ts';
import { loadDevstackEnv, REPO_ROOT } from './env.ts';

/**
 * `./reelay up`: the whole stack on one machine with embedded defaults. Order matters both ways: storage
 * first, then the provider simulator, then worker and api; on Ctrl-C the reverse, so nothing in flight
 * loses its Redis or bucket mid-write.
 */
const env = loadDevstackEnv();
// This is a CLI, not a service: its own lines go straight to the terminal, whatever LOG_LEVEL says.
const say = (line: string) => process.stdout.write(`up       | ${line}\n`);
const stops: Array<() => Promise<unknown>> = [];
const children: Child[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping the stack');
    for (const child of [...children].reverse()) await child.stop();
    for (const stop of stops.reverse())
      await stop().catch((err: Error) => say(`stop failed: ${err.message}`));
    say('stack stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  mkdirSync(env.REELAY_DATA_DIR, { recursive: true });
  // Redis: given, else a private AOF + noeviction server under .data/redis, else the machine's default.
  let redisUrl: string;
  let redisNote: string;
  if (env.REDIS_URL) {
    redisUrl = env.REDIS_URL;
    redisNote = 'from REDIS_URL';
  } else if (redisServerAvailable()) {
    const dir = resolve(env.REELAY_DATA_DIR, 'redis');
    const server = await startRedisServer({ dir, port: env.REDIS_PORT, logfile: resolve(dir, 'redis.log') });
    stops.push(() => server.stop());
    redisUrl = server.url;
    redisNote = `private redis-server, AOF under ${dir}`;
  } else {
    redisUrl = 'redis://127.0.0.1:6379';
    redisNote = 'no redis-server on PATH: using the default address';
  }

  // S3: given, else the embedded S3-protocol server with the bucket created.
  let s3: Record<string, string>;
  let s3Note: string;
  if (env.S3_ENDPOINT) {
    s3 = {
      S3_ENDPOINT: env.S3_ENDPOINT,
      S3_REGION: env.S3_REGION,
      ...(env.S3_ACCESS_KEY_ID ? { S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID } : {}),
      ...(env.S3_SECRET_ACCESS_KEY ? { S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY } : {}),
    };
    s3Note = 'from S3_ENDPOINT';
  } else {
    const dir = resolve(env.REELAY_DATA_DIR, 's3');
    const server = await startS3Server({ dir, port: env.S3_PORT, buckets: [env.S3_BUCKET] });
    stops.push(() => server.stop());
    s3 = {
      S3_ENDPOINT: server.endpoint,
      S3_REGION: server.region,
      S3_ACCESS_KEY_ID: server.accessKeyId,
      S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    };
    s3Note = `embedded s3rver, data under ${dir}`;
  }
  const apiKey = await devApiKey(redisUrl, 'reelay', resolve(env.REELAY_DATA_DIR, 'dev-api-key'));
  const common = {
    REDIS_URL: redisUrl,
    ...s3,
    S3_BUCKET: env.S3_BUCKET,
    LOG_LEVEL: env.LOG_LEVEL,
    LOG_PRETTY: 'true',
    WEBHOOK_ALLOW: env.WEBHOOK_ALLOW,
  };

  // Provider: configured accounts, else the simulator (scaled by SIM_TIME_FACTOR so renders take seconds).
  let providerAccounts = env.PROVIDER_ACCOUNTS;
  let simulatorUrl: string | undefined;
  if (!providerAccounts) {
    const simulator = spawnNode(
      'simulator',
      resolve(REPO_ROOT, 'services/simulator/src/main.ts'),
      {
        SIM_HOST: '127.0.0.1',
        SIM_PORT: String(env.SIM_PORT),
        SIM_TIME_FACTOR: String(env.SIM_TIME_FACTOR),
        LOG_LEVEL: env.LOG_LEVEL,
        LOG_PRETTY: 'true',
      },
      children.length,
    );
    children.push(simulator);
    simulatorUrl = `http://127.0.0.1:${env.SIM_PORT}`;
    await waitHealthy(`${simulatorUrl}/healthz`, simulator);
    providerAccounts = JSON.stringify([
      { id: 'sim', provider: 'openai-videos', baseUrl: `${simulatorUrl}/v1`, apiKey: 'sk-sim-local' },
    ]);
  }

  const worker = spawnNode(
    'worker',
    resolve(REPO_ROOT, 'services/worker/src/main.ts'),
    {
      ...common,
      WORKER_HEALTH_HOST: '127.0.0.1',
      WORKER_HEALTH_PORT: String(env.WORKER_HEALTH_PORT),
      PROVIDER_ACCOUNTS: providerAccounts,
    },
    children.length,
  );
  children.push(worker);
  const api = spawnNode(
    'api',
    resolve(REPO_ROOT, 'services/api/src/main.ts'),
    { ...common, API_HOST: '127.0.0.1', API_PORT: String(env.API_PORT), PROVIDER_ACCOUNTS: providerAccounts },
    children.length,
  );
  children.push(api);

  const apiUrl = `http://127.0.0.1:${env.API_PORT}`;
  const workerUrl = `http://127.0.0.1:${env.WORKER_HEALTH_PORT}`;
  await Promise.all([waitHealthy(`${apiUrl}/healthz`, api), waitHealthy(`${workerUrl}/healthz`, worker)]);

  // Any process dying on its own takes the stack down: a half-running stack hides problems.
  for (const child of children) {
    void child.exited.then((code) => {
      if (stopping) return;
      say(`${child.name} exited (code ${code}); stopping the stack`);
      void shutdown(1);
    });
  }

  const lines = [
    '',
    'Reelay is up:',
    `  api          ${apiUrl}/v1  (health: ${apiUrl}/healthz, gateway flavor: ${apiUrl}/newapi/v1)`,
    `  api key      ${apiKey}  (tenant dev, scopes videos + admin; saved in ${resolve(env.REELAY_DATA_DIR, 'dev-api-key')})`,
    `  dashboard    ${apiUrl}/admin/queues  (log in with the api key)`,
    `  api docs     ${apiUrl}/docs`,
    `  worker       ${workerUrl}/healthz`,
    `  redis        ${redisUrl}  (${redisNote})`,
    `  s3           ${s3.S3_ENDPOINT}  bucket ${env.S3_BUCKET}  (${s3Note})`,
    simulatorUrl
      ? `  simulator    ${simulatorUrl}/v1  (OpenAI Videos wire; gateway flavor at ${simulatorUrl}/newapi/v1)`
      : '  provider     from PROVIDER_ACCOUNTS',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (error) {
  say(`could not start the stack: ${(error as Error).message}`);
  await shutdown(1);
}
