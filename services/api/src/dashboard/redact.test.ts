import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact.ts';

describe('redactSecrets', () => {
  it('replaces prompts and secrets at any depth, in objects and arrays, and keeps everything else', () => {
    const data = {
      tenant: 'acme',
      videoId: 'video_1',
      prompt: 'A calico cat playing a piano',
      request: { Prompt: 'x', negative_prompt: 'y', seconds: 8 },
      webhook: { url: 'https://example.com/hook', signingSecret: 'whsec_x' },
      headers: [{ Authorization: 'Bearer rl_x', accept: '*/*' }],
      apiKey: 'sk-1',
      api_key: 'sk-2',
      accessToken: 't',
      password: 'p',
      nested: { deeper: { refresh_token: 'r', keep: [1, 'two', null] } },
    };
    expect(redactSecrets(data)).toEqual({
      tenant: 'acme',
      videoId: 'video_1',
      prompt: REDACTED,
      request: { Prompt: REDACTED, negative_prompt: REDACTED, seconds: 8 },
      webhook: { url: 'https://example.com/hook', signingSecret: REDACTED },
      headers: [{ Authorization: REDACTED, accept: '*/*' }],
      apiKey: REDACTED,
      api_key: REDACTED,
      accessToken: REDACTED,
      password: REDACTED,
      nested: { deeper: { refresh_token: REDACTED, keep: [1, 'two', null] } },
    });
    // The job itself is untouched: the formatter works on a copy.
    expect(data.prompt).toBe('A calico cat playing a piano');
  });

  it('passes scalars and empty values through', () => {
    expect(redactSecrets(undefined)).toBeUndefined();
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(42)).toBe(42);
    expect(redactSecrets('prompt')).toBe('prompt');
    expect(redactSecrets({})).toEqual({});
  });
});
