import { describe, expect, it } from 'vitest';
import { createFields, fromHash, toHash, type VideoRecord } from './record.ts';
import { newRecord } from './submit.ts';

/** What Redis gives back for a hash written with these field/value pairs. */
const stored = (pairs: string[]) =>
  Object.fromEntries(pairs.flatMap((v, i) => (i % 2 === 0 ? [[v, pairs[i + 1]!]] : [])));

const fresh = (body: Partial<Parameters<typeof newRecord>[0]['body']> = {}, extra = {}) =>
  newRecord({
    tenant: 't1',
    body: { prompt: 'a fox', model: 'sora-2', size: '720x1280', seconds: '4', priority: 'normal', ...body },
    inputReference: null,
    pricePerSecond: 0.1,
    idempotencyKey: null,
    ...extra,
  });

describe('record encoding', () => {
  it('stores a new record without its unset fields and reads it back whole', () => {
    const record = fresh();
    const pairs = createFields(record);
    expect(pairs.length / 2).toBeLessThan(Object.keys(record).length / 2);
    expect(pairs).not.toContain('providerJobId');
    expect(fromHash(stored(pairs))).toEqual(record);
  });

  it('keeps every field a caller set, including ones that differ from the unset value', () => {
    const record = fresh(
      { metadata: { order: '7' }, webhook_url: 'https://example.com/hook', provider: 'acct' },
      { idempotencyKey: 'k-1', inputReference: { kind: 'url', url: 'https://example.com/a.png' } },
    );
    expect(fromHash(stored(createFields(record)))).toEqual(record);
  });

  it('reads a later update over the compact record', () => {
    const record = fresh();
    const patch: Partial<VideoRecord> = { status: 'in_progress', provider: 'acct', polls: 3, progress: 40 };
    const hash = { ...stored(createFields(record)), ...stored(toHash(patch)) };
    expect(fromHash(hash)).toEqual({ ...record, ...patch });
  });

  it('gives every read its own empty collections', () => {
    const hash = stored(createFields(fresh()));
    const a = fromHash(hash)!;
    a.outputs.push({ variant: 'video' } as never);
    a.metadata.x = 'y';
    expect(fromHash(hash)!.outputs).toEqual([]);
    expect(fromHash(hash)!.metadata).toEqual({});
  });
});
