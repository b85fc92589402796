import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiEnvSchema } from '@reelay/api';
import { parseEnv } from '@reelay/config';
import { simulatorConfigSchema } from '@reelay/simulator';
import { REPO_ROOT } from '@reelay/testkit';
import { workerEnvSchema } from '@reelay/worker';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
}

// `docker compose up` cannot run here (no engine), but every process it would start must at least boot:
// each service's environment in the compose file passes that service's own schema.
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const schemas = { api: apiEnvSchema, worker: workerEnvSchema, simulator: simulatorConfigSchema };

  it.each(Object.keys(schemas) as Array<keyof typeof schemas>)('gives %s a valid environment', (name) => {
    const service = compose.services[name];
    expect(service?.command).toEqual([name]);
    expect(() => parseEnv(schemas[name], service?.environment ?? {})).not.toThrow();
  });
});
