import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.ts';

/** A logger writing JSON lines into an array. */
function capture(options: { logPrompts?: boolean } = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ service: 't', level: 'trace', destination, ...options }), lines };
}

describe('log redaction', () => {
  it('censors API keys, webhook secrets and provider keys wherever they sit', () => {
    const { logger, lines } = capture();
    logger.info({ authorization: 'Bearer rl_top', headers: { authorization: 'Bearer rl_one' } }, 'a');
    logger.info({ req: { headers: { authorization: 'Bearer rl_two', cookie: 'reelay_session=abc' } } }, 'b');
    logger.info({ secret: 'whsec_a', webhook: { secret: 'whsec_b' }, secrets: ['whsec_c'] }, 'c');
    logger.info({ account: { apiKey: 'sk-one' }, accounts: [{ id: 'x', apiKey: 'sk-two' }] }, 'd');
    logger.child({ apiKey: 'sk-child' }).info('e');
    const text = lines.join('');
    for (const secret of [
      'rl_top',
      'rl_one',
      'rl_two',
      'reelay_session',
      'whsec_',
      'sk-one',
      'sk-two',
      'sk-child',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(lines).toHaveLength(5);
  });

  // @pinojs/redact is patched (patches/) to parse its paths once instead of on every value: the same
  // redactor must censor every line, leave the caller's object as it was, and pass primitives through.
  it('censors every line alike, never the logged object itself, and keeps plain values', () => {
    const { logger, lines } = capture();
    const entry = {
      reqId: 'r-1',
      status: 201,
      ok: true,
      none: null,
      headers: { authorization: 'Bearer rl_x' },
    };
    for (let i = 0; i < 3; i++) logger.info(entry, 'line');
    expect(entry.headers.authorization).toBe('Bearer rl_x');
    for (const line of lines.map((l) => JSON.parse(l))) {
      expect(line).toMatchObject({ reqId: 'r-1', status: 201, ok: true, none: null });
      expect(line.headers.authorization).toBe('[redacted]');
    }
    expect(lines).toHaveLength(3);
  });

  it('censors prompts unless logPrompts, at any depth a video is logged', () => {
    const prompt = 'a heron fishing at dawn';
    const entries = [
      { prompt },
      { body: { prompt } },
      { data: { video: { prompt } } },
      { job: { data: { video: { prompt } } } },
    ];
    const hidden = capture();
    for (const entry of entries) hidden.logger.debug(entry, 'x');
    expect(hidden.lines.join('')).not.toContain('heron');
    const shown = capture({ logPrompts: true });
    for (const entry of entries) shown.logger.debug(entry, 'x');
    expect(shown.lines.filter((line) => line.includes(prompt))).toHaveLength(4);
    // Secrets stay censored either way.
    shown.logger.info({ secret: 'whsec_x' }, 'y');
    expect(shown.lines.join('')).not.toContain('whsec_x');
  });
});
