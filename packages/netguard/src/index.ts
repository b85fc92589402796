export { createGuardedAgent, type GuardedAgentOptions } from './agent.ts';
export { type AllowList, parseAllowList } from './allow-list.ts';
export { NetError, type NetErrorKind } from './errors.ts';
export {
  type BlockCode,
  type CheckFailure,
  checkUrlSyntax,
  type NetPolicy,
  type ResolvedAddress,
  type ResolveFailure,
  type Resolver,
  resolveAndCheck,
} from './policy.ts';
export { type GuardedRequestInit, type GuardedResponse, guardedRequest } from './request.ts';
