import { apiErrors } from '@reelay/errors';
import type { Principal, Scope } from '@reelay/tenants';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * Bearer API keys (`Authorization: Bearer rl_...`, as the OpenAI SDKs send them). Registered inside a
 * route scope with the scope that scope requires; every handler behind it reads `request.principal`.
 */
export function requireKey(app: FastifyInstance, scope: Scope): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.principal = await bearerPrincipal(app, request, scope);
    // No child logger per request (measurable at thousands of creates a second): handlers that log put
    // the tenant in the line themselves, and the error handler does.
  });
}

/** The request's bearer key, checked for `scope`: 401 without a valid key, 403 without the scope. */
export async function bearerPrincipal(
  app: FastifyInstance,
  request: FastifyRequest,
  scope: Scope,
): Promise<Principal> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw apiErrors.unauthorized();
  let principal: Principal | null;
  try {
    principal = await app.deps.apiKeys.resolve(match[1]!);
  } catch (error) {
    request.log.warn({ err: (error as Error).message }, 'api key lookup failed');
    throw apiErrors.unavailable();
  }
  if (!principal) throw apiErrors.unauthorized('Invalid API key.');
  if (!principal.scopes.includes(scope)) {
    throw apiErrors.forbidden(`This API key lacks the '${scope}' scope.`);
  }
  return principal;
}
