export {
  type AccountConfig,
  accountSchema,
  accountsSchema,
  parseAccounts,
  redactAccount,
} from './accounts.ts';
export {
  type ErrorKind,
  type ListedJob,
  type PollResult,
  type ProviderAdapter,
  ProviderError,
  type ProviderHandle,
  type ProviderResponse,
  type ProviderState,
  type RateLimitHints,
  type RenderRequest,
  type ResultLocator,
  type ResultStream,
  type SubmitResult,
} from './adapter.ts';
export {
  type Capability,
  Catalog,
  type CatalogCheck,
  type ModelCapability,
  PROVIDER_CATALOGS,
  type ProviderKind,
} from './catalog.ts';
export {
  createOpenAIVideosAdapter,
  OpenAIVideosAdapter,
  type OpenAIVideosOptions,
} from './openai-videos/adapter.ts';
export { type AdapterOptions, createAdapter } from './registry.ts';
