import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ApiKeyStore } from '@reelay/tenants';
import { Redis } from 'ioredis';

/**
 * The local stack's API key (tenant `dev`, videos + admin scopes), kept in the data folder so it stays
 * the same across restarts for as long as the Redis data does.
 */
export async function devApiKey(redisUrl: string, prefix: string, file: string): Promise<string> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    const keys = new ApiKeyStore(redis, prefix, 0);
    const saved = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (saved && (await keys.resolve(saved))) return saved;
    const { key } = await keys.create('dev', { name: 'local stack', scopes: ['videos', 'admin'] });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return key;
  } finally {
    redis.disconnect();
  }
}
