import { z } from 'zod';
import { PROVIDER_CATALOGS, type ProviderKind } from './catalog.ts';

const kinds = Object.keys(PROVIDER_CATALOGS) as [ProviderKind, ...ProviderKind[]];

/**
 * One provider account: where to reach it, its key, and the limits Reelay must hold it to across every
 * worker process. Several accounts per provider are allowed; jobs go to the one with headroom.
 */
export const accountSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'id must be 1-63 of a-z 0-9 _ -' }),
  provider: z.enum(kinds, { error: `provider must be one of ${kinds.join(', ')}` }),
  baseUrl: z.url({ error: 'baseUrl must be an http(s) URL' }),
  apiKey: z.string().min(1, { error: 'apiKey must not be empty' }),
  /** Models this account may serve; all of the provider's catalog when omitted. */
  models: z.array(z.string()).optional(),
  /** Renders in flight at once on this account. @defaultValue 4 */
  concurrency: z.number().int().min(1).default(4),
  /** Requests per minute to this account, all kinds. @defaultValue 60 */
  rpm: z.number().int().min(1).default(60),
  /** USD per generated second by model, overriding the catalog's list prices. */
  prices: z.record(z.string(), z.number().nonnegative()).optional(),
});

export type AccountConfig = z.infer<typeof accountSchema>;

export const accountsSchema = z
  .array(accountSchema)
  .min(1, { error: 'must list at least one provider account' })
  .refine((accounts) => new Set(accounts.map((a) => a.id)).size === accounts.length, {
    error: 'account ids must be unique',
  });

export function parseAccounts(value: unknown): AccountConfig[] {
  return accountsSchema.parse(value);
}

/** For logs and the admin API: everything but the key. */
export function redactAccount(account: AccountConfig): Omit<AccountConfig, 'apiKey'> & { apiKey: string } {
  return { ...account, apiKey: '[redacted]' };
}
