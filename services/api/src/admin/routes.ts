import { endpointQuery, endpointState, errorResponse } from '@reelay/contracts';
import { apiErrors } from '@reelay/errors';
import { TENANT_ID } from '@reelay/tenants';
import { endpointOf } from '@reelay/webhooks';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireKey } from '../plugins/auth.ts';
import { searchRoutes } from './search.ts';

const keyInfo = z.object({
  key_id: z.string(),
  tenant: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  created_at: z.number().int(),
});

/** Ops endpoints behind the `admin` scope: job search, API key management, webhook endpoint health. */
export async function adminRoutes(instance: FastifyInstance): Promise<void> {
  requireKey(instance, 'admin');
  await instance.register(searchRoutes);
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { apiKeys, webhooks } = app.deps;
  const present = (info: {
    keyId: string;
    tenant: string;
    name: string;
    scopes: string[];
    createdAt: number;
  }) => ({
    key_id: info.keyId,
    tenant: info.tenant,
    name: info.name,
    scopes: info.scopes,
    created_at: Math.floor(info.createdAt / 1000),
  });

  app.post(
    '/keys',
    {
      schema: {
        summary: 'Create an API key for a tenant (the key is shown only in this answer)',
        body: z.strictObject({
          tenant: z.string().regex(TENANT_ID, {
            error: 'tenant must be 1-63 of a-z 0-9 _ - (starting with a letter or digit)',
          }),
          name: z.string().max(128).default(''),
          scopes: z
            .array(z.enum(['videos', 'admin']))
            .min(1)
            .default(['videos']),
        }),
        response: { 200: keyInfo.extend({ key: z.string() }), 400: errorResponse, 401: errorResponse },
      },
    },
    async (request) => {
      const { key, info } = await apiKeys.create(request.body.tenant, request.body);
      return { ...present(info), key };
    },
  );

  app.get(
    '/keys',
    {
      schema: {
        summary: 'List API keys (never the keys themselves)',
        querystring: z.strictObject({ tenant: z.string().regex(TENANT_ID).optional() }),
        response: { 200: z.object({ object: z.literal('list'), data: z.array(keyInfo) }) },
      },
    },
    async (request) => ({
      object: 'list' as const,
      data: (await apiKeys.list(request.query.tenant)).map(present),
    }),
  );

  app.delete(
    '/keys/:key_id',
    {
      schema: {
        summary: 'Revoke an API key (takes effect within API_KEY_CACHE_MS on every api process)',
        params: z.strictObject({
          key_id: z
            .string()
            .regex(/^key_[0-9a-f]{16}$/, { error: 'key_id must look like key_0123456789abcdef' }),
        }),
        response: { 200: z.object({ key_id: z.string(), revoked: z.literal(true) }), 404: errorResponse },
      },
    },
    async (request) => {
      if (!(await apiKeys.revoke(request.params.key_id)))
        throw apiErrors.notFound('API key', request.params.key_id, 'key_id');
      return { key_id: request.params.key_id, revoked: true as const };
    },
  );

  const endpointAnswer = async (url: string) => {
    const origin = endpointOf(url);
    const state = await webhooks.endpoints.state(origin);
    return {
      object: 'webhook.endpoint' as const,
      endpoint: origin,
      failing_since: state.failingSince,
      last_success_at: state.lastSuccessAt,
      last_failure_at: state.lastFailureAt,
      disabled_at: state.disabledAt,
      in_flight: await webhooks.endpoints.inFlight(origin),
    };
  };

  app.get(
    '/webhooks/endpoint',
    {
      schema: {
        summary: "A webhook endpoint's health: failing since, disabled, deliveries in flight",
        querystring: endpointQuery,
        response: { 200: endpointState, 400: errorResponse },
      },
    },
    async (request) => endpointAnswer(request.query.url),
  );

  app.post(
    '/webhooks/endpoint/enable',
    {
      schema: {
        summary: 'Re-enable a webhook endpoint disabled after failing for days (then recover its messages)',
        body: endpointQuery,
        response: { 200: endpointState, 400: errorResponse },
      },
    },
    async (request) => {
      await webhooks.endpoints.enable(endpointOf(request.body.url));
      return endpointAnswer(request.body.url);
    },
  );
}
