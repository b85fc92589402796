import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import cookie from '@fastify/cookie';
import { ApiError, apiErrors, toApiErrorBody } from '@reelay/errors';
import type { Principal } from '@reelay/tenants';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerPrincipal } from '../plugins/auth.ts';
import { loginPage } from './login-page.ts';
import { redactSecrets } from './redact.ts';
import type { AdminSessions } from './sessions.ts';

export interface DashboardDeps {
  /** Shown on the board, in this order: the render queue, then the webhook delivery queue. */
  queues: Queue[];
  /** Retry, promote and clean jobs from the board (`DASHBOARD_ACTIONS`); read-only otherwise. */
  actions: boolean;
  sessions: AdminSessions;
}

const BASE_PATH = '/admin/queues';
const LOGIN_PATH = '/admin/login';
const COOKIE = 'reelay_admin';

/**
 * The only writes the board may make when DASHBOARD_ACTIONS is on (Bull Board's route patterns). Adding,
 * editing, pausing, emptying or obliterating would bypass the video records, so they stay refused.
 */
const ALLOWED_ACTION =
  /\/api\/queues\/:queueName\/(?:retry\/:queueStatus|promote|clean\/:queueStatus|:jobId\/(?:retry|promote|clean))$/;

/** The stylesheet link of Bull Board's page template that loads its typeface from Google Fonts. */
const GOOGLE_FONTS_LINK = /<link[^>]+href="https:\/\/fonts\.googleapis\.com\/[^"]*"[^>]*>/g;
/** The board's pages load scripts, styles, images and data from this origin only. */
const BOARD_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'";

/**
 * The ops dashboard under `/admin`: Bull Board at `/admin/queues` behind an admin key (bearer, or a
 * browser session from the login page at `/admin/login`), read-only unless DASHBOARD_ACTIONS is set.
 */
export async function dashboardRoutes(instance: FastifyInstance): Promise<void> {
  const { apiKeys } = instance.deps;
  const { queues, actions, sessions } = instance.deps.dashboard;
  await instance.register(cookie);
  // The login form posts urlencoded; parsed only in this scope (the rest of the api takes JSON).
  instance.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const sessionCookie = {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict' as const,
    // Secure whenever the request came over https (Fastify's `request.protocol`).
    secure: 'auto' as const,
    maxAge: Math.floor(sessions.ttlMs / 1000),
  };
  const page = (reply: FastifyReply, status: number, html: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      )
      .send(html);

  /** The admin principal of the request's session cookie, or null. */
  const sessionPrincipal = async (request: FastifyRequest): Promise<Principal | null> => {
    const id = request.cookies[COOKIE];
    const keyId = id ? await sessions.keyId(id) : null;
    const principal = keyId ? await apiKeys.byId(keyId) : null;
    return principal?.scopes.includes('admin') ? principal : null;
  };

  instance.get('/login', { schema: { hide: true } }, async (request, reply) => {
    const signedIn = (await sessionPrincipal(request).catch(() => null)) !== null;
    return page(reply, 200, loginPage({ signedIn }));
  });

  instance.post('/login', { schema: { hide: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    const principal = key
      ? await apiKeys.resolve(key).catch((error: Error) => {
          request.log.warn({ err: error.message }, 'api key lookup failed');
          throw apiErrors.unavailable();
        })
      : null;
    if (!principal) {
      request.log.info({ ip: request.ip }, 'dashboard login refused: unknown key');
      return page(reply, 401, loginPage({ message: 'That is not a valid API key.' }));
    }
    if (!principal.scopes.includes('admin')) {
      request.log.info({ keyId: principal.keyId }, 'dashboard login refused: no admin scope');
      return page(reply, 403, loginPage({ message: "That API key lacks the 'admin' scope." }));
    }
    const id = await sessions.create(principal.keyId);
    request.log.info({ keyId: principal.keyId, tenant: principal.tenant }, 'dashboard login');
    return reply.setCookie(COOKIE, id, sessionCookie).redirect(BASE_PATH, 303);
  });

  instance.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    const id = request.cookies[COOKIE];
    if (id) await sessions.destroy(id);
    return reply.clearCookie(COOKIE, { path: sessionCookie.path }).redirect(LOGIN_PATH, 303);
  });

  await instance.register(
    async (board) => {
      board.decorateRequest('principal', null as unknown as Principal);
      // Hooks answer by themselves: inside Bull Board's scope a thrown error would reach its own error
      // handler, which knows nothing of our error shape.
      board.addHook('onRequest', async (request, reply) => {
        try {
          const principal = request.headers.authorization
            ? await bearerPrincipal(board, request, 'admin')
            : await sessionPrincipal(request);
          if (!principal) {
            // A browser opening the board is sent to the login page; scripts get the usual 401.
            if (request.method === 'GET' && request.headers.accept?.includes('text/html')) {
              return reply.redirect(LOGIN_PATH, 302);
            }
            throw apiErrors.unauthorized(
              'Sign in at /admin/login, or send an admin API key as "Authorization: Bearer <key>".',
            );
          }
          request.principal = principal;
          if (
            request.method !== 'GET' &&
            request.method !== 'HEAD' &&
            !ALLOWED_ACTION.test(request.routeOptions.url ?? '')
          ) {
            throw new ApiError(
              405,
              'method_not_allowed',
              'The dashboard only retries, promotes and cleans jobs.',
            );
          }
        } catch (error) {
          if (!(error instanceof ApiError)) request.log.warn({ err: error }, 'dashboard auth failed');
          const apiError = error instanceof ApiError ? error : apiErrors.unavailable();
          return reply.code(apiError.status).headers(apiError.headers).send(toApiErrorBody(apiError));
        }
      });

      // Bull Board's page asks Google Fonts for its typeface: every admin opening the board would tell
      // Google so, and the link fails on an offline network anyway. Without it the page uses system
      // fonts; the CSP keeps anything else the page might load on this origin.
      board.addHook('onSend', async (_request, reply, payload) => {
        if (typeof payload !== 'string' || !String(reply.getHeader('content-type')).startsWith('text/html')) {
          return payload;
        }
        reply.header('content-security-policy', BOARD_CSP);
        return payload.replace(GOOGLE_FONTS_LINK, '');
      });

      const serverAdapter = new FastifyAdapter();
      serverAdapter.setBasePath(BASE_PATH);
      createBullBoard({
        queues: queues.map((queue) => {
          const adapter = new BullMQAdapter(queue, { readOnlyMode: !actions, allowRetries: actions });
          // Job data holds ids today; whatever else ever lands there, prompts and secrets stay off screen.
          adapter.setFormatter('data', redactSecrets);
          adapter.setFormatter('returnValue', redactSecrets);
          adapter.setFormatter('progress', redactSecrets);
          return adapter;
        }),
        serverAdapter,
        options: {
          uiConfig: {
            boardTitle: 'Reelay queues',
            // The header's docs icon points at bull-board's site; ours are at /docs and in the README.
            hideDocsLink: true,
            miscLinks: [
              { text: 'API reference', url: '/docs' },
              { text: 'Sign out', url: LOGIN_PATH },
            ],
          },
        },
      });
      await board.register(serverAdapter.registerPlugin());
    },
    { prefix: '/queues' },
  );
}
