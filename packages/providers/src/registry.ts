import type { AccountConfig } from './accounts.ts';
import type { ProviderAdapter } from './adapter.ts';
import { createOpenAIVideosAdapter, type OpenAIVideosOptions } from './openai-videos/adapter.ts';

/** Options for whichever adapter the account needs; each adapter reads the ones it knows. */
export type AdapterOptions = OpenAIVideosOptions;

/** The adapter for an account's provider kind. */
export function createAdapter(
  account: Pick<AccountConfig, 'provider' | 'baseUrl' | 'apiKey'>,
  options?: AdapterOptions,
): ProviderAdapter {
  switch (account.provider) {
    case 'openai-videos':
      return createOpenAIVideosAdapter(account, options);
  }
  // Unreachable while the switch is exhaustive; a config built around the schema could still hit it.
  throw new Error(`no adapter for provider '${String((account as { provider: unknown }).provider)}'`);
}
