import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { VideoObject } from '@reelay/contracts';
import { createRenderQueue } from '@reelay/jobs';
import { REPO_ROOT, waitFor } from '@reelay/testkit';
import { Redis } from 'ioredis';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from './chromium.ts';
import { type Stack, startStack } from './stack.ts';

const ARTIFACTS = join(REPO_ROOT, 'test/e2e/.artifacts');
const PROBE_PROMPT = 'A lighthouse keeper reading a letter nobody else may see';
const SLOW_PROMPT = 'A glacier calving into a fjord, very slowly';
const VIDEOS = encodeURIComponent('{videos}');
const WEBHOOKS = encodeURIComponent('{webhooks}');

type Counts = Record<string, number>;

/** The text of the first element matching `selector` (whole text, rendered or not). */
const text = async (page: Page, selector = '#root') =>
  (await page
    .locator(selector)
    .first()
    .textContent({ timeout: 5_000 })
    .catch(() => null)) ?? '';

/**
 * The ops pages as an operator sees them, in Debian's chromium driven by playwright-core, against the
 * running stack (`./reelay up`): the login page, the queue dashboard with jobs in several states, a job
 * with its data redacted, and the API reference at /docs. Screenshots go to test/e2e/.artifacts/.
 */
describe('the dashboard and the API reference in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let receiver: Server;
  let receiverUrl: string;
  /** Requests the pages tried to send off the machine (all refused: the pages must work offline). */
  const external: string[] = [];

  beforeAll(async () => {
    const executablePath = ensureChromium();
    receiver = createServer((request, response) => {
      request.resume();
      response.writeHead(request.url === '/ok' ? 204 : 503).end();
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    [stack, browser] = await Promise.all([
      startStack({ SIM_TIME_FACTOR: '0.01', POLL_COLD_START_MS: '200', POLL_MIN_MS: '50' }),
      chromium.launch({ executablePath }),
    ]);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000); // a first apt-get install of chromium takes a minute or two
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    receiver?.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    });
  const create = async (prompt: string, webhook?: string) => {
    const response = await api('/v1/videos', {
      method: 'POST',
      body: JSON.stringify({
        model: 'sora-2',
        prompt,
        seconds: '4',
        ...(webhook ? { webhook_url: `${receiverUrl}${webhook}` } : {}),
      }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as VideoObject).id;
  };
  const counts = async (): Promise<Record<string, Counts>> => {
    const { queues } = (await (await api('/admin/queues/api/queues')).json()) as {
      queues: { name: string; counts: Counts }[];
    };
    return Object.fromEntries(queues.map((q) => [q.name, q.counts]));
  };
  const screenshot = async (page: Page, name: string) => {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    expect(statSync(path).size, path).toBeGreaterThan(1_000);
  };
  /** What the pages' Content-Security-Policy refused: a policy that breaks the board shows up here. */
  const refused: string[] = [];
  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    await page.route(
      (url) => url.origin !== stack.apiUrl,
      (route) => {
        external.push(route.request().url());
        return route.abort();
      },
    );
    return page;
  };

  it('an operator signs in, sees both queues with jobs in several states, and reads the API reference', async () => {
    // Jobs in several states: finished renders (one video failed at the provider: its BullMQ job still
    // completes), a long render waiting in `delayed` between polls, webhook deliveries that succeeded and
    // one whose endpoint is down (retried later, so `delayed`).
    const quick = [
      await create('A calico cat playing a piano #sim(render_ms=200)', '/ok'),
      await create('A red kite over a hill #sim(render_ms=200)', '/ok'),
    ];
    const failing = await create('A storm at sea #sim(fail=error)', '/down');
    const slow = await create(`${SLOW_PROMPT} #sim(render_ms=120000)`);
    // Job data holds only ids; a job that carries a prompt anyway shows how the board redacts it.
    const redis = new Redis(`redis://127.0.0.1:${stack.ports.REDIS_PORT}`);
    const queue = createRenderQueue(redis, 'reelay'); // the local stack's REDIS_PREFIX
    const probe = await queue.add(
      'render',
      {
        tenant: 'dev',
        videoId: 'video_redaction_probe',
        prompt: PROBE_PROMPT,
        webhook: { secret: 'whsec_x' },
      },
      { jobId: 'redaction-probe', delay: 3_600_000 },
    );
    await queue.close();
    redis.disconnect();

    for (const id of [...quick, failing]) {
      await waitFor(
        async () => {
          const video = (await (await api(`/v1/videos/${id}`)).json()) as VideoObject;
          return video.status === 'completed' || video.status === 'failed';
        },
        { timeoutMs: 20_000, what: `${id} to finish` },
      );
    }
    const settled = await waitFor(
      async () => {
        const now = await counts();
        const ready =
          (now['{videos}']?.completed ?? 0) >= 3 &&
          (now['{videos}']?.delayed ?? 0) >= 2 &&
          (now['{webhooks}']?.completed ?? 0) >= 2 &&
          (now['{webhooks}']?.delayed ?? 0) >= 1;
        return ready && now;
      },
      { timeoutMs: 20_000, what: 'jobs in completed and delayed on both queues' },
    );

    const page = await newPage();

    // Not signed in: the board sends the browser to the login page.
    await page.goto(`${stack.apiUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(await text(page, 'label[for=key]')).toBe('Admin API key');
    await screenshot(page, 'login');

    await page.fill('input[name=key]', 'rl_notAKeyAtAll0000000000000');
    await page.click('button[type=submit]');
    await expect.poll(() => text(page, 'body')).toContain('That is not a valid API key.');

    await page.fill('input[name=key]', stack.apiKey);
    await Promise.all([page.waitForURL('**/admin/queues'), page.click('button[type=submit]')]);
    // The overview: one card per queue with its job total.
    await expect.poll(() => page.getByText(/^\d+ Jobs?$/).count(), { timeout: 10_000 }).toBe(2);
    const overview = await text(page, 'body');
    expect(overview).toContain('Reelay queues');
    expect(overview).toContain('{videos}');
    expect(overview).toContain('{webhooks}');
    await screenshot(page, 'dashboard');

    // Each queue's page shows its counts per state, as the API reported them.
    for (const [name, path] of [
      ['{videos}', VIDEOS],
      ['{webhooks}', WEBHOOKS],
    ] as const) {
      await page.goto(`${stack.apiUrl}/admin/queues/queue/${path}`);
      // The state tabs link to `?status=<state>` and carry the count as their last word.
      const shown = async () => {
        const count = async (state: string) =>
          Number(/(\d+)\s*$/.exec(await text(page, `a[href*="status=${state}"]`))?.[1] ?? 0);
        return { completed: await count('completed'), delayed: await count('delayed') };
      };
      await expect.poll(async () => (await shown()).delayed, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      expect((await shown()).completed, name).toBeGreaterThanOrEqual(settled[name]!.completed!);
      if (name === '{videos}') await screenshot(page, 'queue');
    }

    // A job's data: the prompt that was put in it is shown as [redacted].
    await page.goto(`${stack.apiUrl}/admin/queues/queue/${VIDEOS}/${probe.id}`);
    await expect.poll(() => text(page), { timeout: 10_000 }).toContain('[redacted]');
    const job = await text(page);
    expect(job).toContain('video_redaction_probe');
    expect(job).not.toContain(PROBE_PROMPT);
    expect(job).not.toContain('whsec_x');
    await screenshot(page, 'job');
    // A real render job carries ids only: nothing of the prompt reaches the board.
    await page.goto(`${stack.apiUrl}/admin/queues/queue/${VIDEOS}/${slow}`);
    await expect.poll(() => text(page), { timeout: 10_000 }).toContain(slow);
    expect(await text(page)).not.toContain(SLOW_PROMPT);

    // Signing out ends the session.
    await page.goto(`${stack.apiUrl}/admin/login`);
    await page.click('button:has-text("Sign out")');
    await page.locator('input[name=key]').waitFor();
    await page.goto(`${stack.apiUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');

    // The API reference: public, rendered from the OpenAPI document, with no request leaving the machine.
    const dashboardExternal = external.splice(0);
    await page.goto(`${stack.apiUrl}/docs`);
    await page.locator('.opblock').first().waitFor();
    expect(await text(page, '.info .title')).toMatch(/^Reelay/);
    for (const [method, path] of [
      ['post', '/v1/videos'],
      ['get', '/v1/videos'],
      ['get', '/v1/videos/{video_id}'],
      ['delete', '/v1/videos/{video_id}'],
      ['get', '/v1/videos/{video_id}/content'],
    ]) {
      const operation = page.locator(`.opblock-${method} .opblock-summary-path[data-path="${path}"]`);
      expect(await operation.count(), `${method} ${path}`).toBe(1);
    }
    await screenshot(page, 'docs');
    expect(external, 'requests /docs tried to send elsewhere').toEqual([]);
    // Bull Board's page template asks Google Fonts for its typeface; the api takes that link out.
    expect(dashboardExternal, 'requests the dashboard tried to send elsewhere').toEqual([]);
    expect(refused, "what the pages' CSP refused").toEqual([]);
    await page.close();
  });
});
