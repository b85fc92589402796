/**
 * What each provider kind can render, and at what price, as data (not code): the API validates requests
 * against it before anything is paid for, the worker routes and prices with it. Prices are USD per
 * generated second as published (CometAPI sora-2 $0.08/s; OpenAI's last sora-2-pro list prices).
 */
export type ProviderKind = 'openai-videos';

export interface ModelCapability {
  model: string;
  sizes: readonly string[];
  seconds: readonly string[];
  audio: boolean;
  /** USD per generated second, by size; `default` for sizes not listed. */
  pricePerSecond: Readonly<Record<string, number>> & { default: number };
}

const SORA_SECONDS = ['4', '8', '12', '16', '20'] as const;
const PORTRAIT_LANDSCAPE = ['720x1280', '1280x720'] as const;

export const PROVIDER_CATALOGS: Record<ProviderKind, readonly ModelCapability[]> = {
  'openai-videos': [
    {
      model: 'sora-2',
      sizes: PORTRAIT_LANDSCAPE,
      seconds: SORA_SECONDS,
      audio: true,
      pricePerSecond: { default: 0.08 },
    },
    {
      model: 'sora-2-pro',
      sizes: [...PORTRAIT_LANDSCAPE, '1024x1792', '1792x1024', '1080x1920', '1920x1080'],
      seconds: SORA_SECONDS,
      audio: true,
      pricePerSecond: { default: 0.5, '720x1280': 0.3, '1280x720': 0.3 },
    },
  ],
};

export interface Capability extends ModelCapability {
  /** Accounts (ids) that offer this model. */
  accounts: string[];
}

export type CatalogCheck =
  | { ok: true; capability: Capability; pricePerSecond: number }
  | { ok: false; param: 'model' | 'size' | 'seconds' | 'provider'; message: string };

/** The models the configured accounts offer, merged: what Reelay can route. */
export class Catalog {
  readonly models = new Map<string, Capability>();

  constructor(
    accounts: ReadonlyArray<{ id: string; provider: ProviderKind; models?: string[] | undefined }>,
  ) {
    for (const account of accounts) {
      for (const capability of PROVIDER_CATALOGS[account.provider]) {
        if (account.models && !account.models.includes(capability.model)) continue;
        const known = this.models.get(capability.model);
        if (known) known.accounts.push(account.id);
        else this.models.set(capability.model, { ...capability, accounts: [account.id] });
      }
    }
  }

  /** Checks a model/size/seconds combination (and an optional account hint) and prices it. */
  check(model: string, size: string, seconds: string, account?: string): CatalogCheck {
    const capability = this.models.get(model);
    if (!capability) {
      const known = [...this.models.keys()].join(', ') || 'none configured';
      return { ok: false, param: 'model', message: `Unknown model '${model}'. Available models: ${known}.` };
    }
    if (!capability.sizes.includes(size)) {
      return {
        ok: false,
        param: 'size',
        message: `Size '${size}' is not supported by ${model}. Supported sizes: ${capability.sizes.join(', ')}.`,
      };
    }
    if (!capability.seconds.includes(seconds)) {
      return {
        ok: false,
        param: 'seconds',
        message: `Duration '${seconds}' is not supported by ${model}. Supported values: ${capability.seconds.join(', ')}.`,
      };
    }
    if (account !== undefined && !capability.accounts.includes(account)) {
      return {
        ok: false,
        param: 'provider',
        message: `Provider account '${account}' does not offer ${model}. Accounts offering it: ${capability.accounts.join(', ')}.`,
      };
    }
    const pricePerSecond = capability.pricePerSecond[size] ?? capability.pricePerSecond.default;
    return { ok: true, capability, pricePerSecond };
  }
}
