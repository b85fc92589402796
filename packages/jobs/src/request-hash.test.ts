import { describe, expect, it } from 'vitest';
import { keyHash, requestHash } from './request-hash.ts';

describe('request fingerprints', () => {
  // Stored idempotency keys are looked up by this hash for 24 h: it must not change between releases.
  it('hashes idempotency keys as the first 40 hex digits of their sha256', () => {
    expect(keyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a3');
  });

  it('gives the same fingerprint whatever the key order, and another one for another request', () => {
    const a = requestHash({ prompt: 'cat', seconds: '4', metadata: { x: '1', y: '2' } });
    expect(requestHash({ metadata: { y: '2', x: '1' }, seconds: '4', prompt: 'cat' })).toBe(a);
    expect(requestHash({ prompt: 'cat', seconds: '8', metadata: { x: '1', y: '2' } })).not.toBe(a);
  });

  it('counts an upload by its content', () => {
    const upload = (bytes: string) => requestHash({ prompt: 'cat', input_reference: Buffer.from(bytes) });
    expect(upload('png-1')).toBe(upload('png-1'));
    expect(upload('png-1')).not.toBe(upload('png-2'));
  });
});
