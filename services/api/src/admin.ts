import { parseArgs } from 'node:util';
import { env, loadConfig } from '@reelay/config';
import { ApiKeyStore, type Scope } from '@reelay/tenants';
import { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * `./reelay admin <command>`: API key management from a shell, against REDIS_URL.
 *   create-key --tenant <id> [--name <text>] [--admin]   prints the new key (shown only once)
 *   list-keys [--tenant <id>]
 *   revoke-key <key_id>
 */
const config = loadConfig('reelay-admin', z.object({ ...env.redisSection }));
const usage = `usage: ./reelay admin create-key --tenant <id> [--name <text>] [--admin]
       ./reelay admin list-keys [--tenant <id>]
       ./reelay admin revoke-key <key_id>
  (uses REDIS_URL, default redis://127.0.0.1:6379; the local stack's Redis is redis://127.0.0.1:6390)`;

/** A bad invocation gets one line on stderr (not a stack trace) and exit code 2, like a missing command. */
function usageError(message: string): never {
  process.stderr.write(`reelay-admin: ${message} (run with --help for usage)\n`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        name: { type: 'string' },
        admin: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    // parseArgs throws on an unknown or incomplete option ("--tenat", "--tenant" without a value).
    usageError((error as Error).message);
  }
}
const { positionals, values } = parseCommandLine();
const [command, ...rest] = positionals;
if (values.help || !command) {
  process.stdout.write(`${usage}\n`);
  process.exit(command ? 0 : 2);
}

const COMMANDS = ['create-key', 'list-keys', 'revoke-key'];
if (!COMMANDS.includes(command))
  usageError(`unknown command '${command}' (commands: ${COMMANDS.join(', ')})`);

const redis = new Redis(config.REDIS_URL, {
  maxRetriesPerRequest: 1,
  connectTimeout: 5_000,
  lazyConnect: true,
});
redis.on('error', () => {});
try {
  await redis.connect();
} catch (error) {
  process.stderr.write(
    `reelay-admin: cannot reach Redis at ${config.REDIS_URL}: ${(error as Error).message}\n`,
  );
  process.exit(1);
}
const keys = new ApiKeyStore(redis, config.REDIS_PREFIX, 0);
try {
  switch (command) {
    case 'create-key': {
      if (!values.tenant) throw new Error('create-key needs --tenant <id>');
      const scopes: Scope[] = values.admin ? ['videos', 'admin'] : ['videos'];
      const { key, info } = await keys.create(values.tenant, { name: values.name ?? '', scopes });
      process.stdout.write(`${JSON.stringify({ key, key_id: info.keyId, tenant: info.tenant, scopes })}\n`);
      break;
    }
    case 'list-keys':
      for (const info of await keys.list(values.tenant)) process.stdout.write(`${JSON.stringify(info)}\n`);
      break;
    case 'revoke-key': {
      const [keyId] = rest;
      if (!keyId) throw new Error('revoke-key needs a key id');
      if (!(await keys.revoke(keyId))) throw new Error(`no API key with id ${keyId}`);
      process.stdout.write(`revoked ${keyId}\n`);
      break;
    }
    default:
      throw new Error(`unknown command '${command}'`);
  }
} catch (error) {
  process.stderr.write(`reelay-admin: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
