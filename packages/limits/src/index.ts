export { LimitKeys } from './keys.ts';
export {
  type AccountSnapshot,
  type Adjusted,
  type PickOptions,
  type PickResult,
  ProviderLimits,
  type RateHints,
  type SlotResult,
  type TakeResult,
} from './limits.ts';
export { type AccountLimits, DEFAULTS, type LimitsOptions } from './options.ts';
