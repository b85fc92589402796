import { createHash } from 'node:crypto';

// Deterministic randomness: the same seed parts give the same sequence, so a job's render time depends
// only on SIM_SEED and its id, and random faults replay identically for the same request order.

/** mulberry32 (tiny, fast, good enough for noise) seeded from sha256 of the parts. */
export function seededRandom(...parts: string[]): () => number {
  let state = createHash('sha256').update(parts.join('\0')).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A multiplicative noise factor around 1: exp(sigma * N(0,1)), clamped to [min, max]. */
export function lognormal(random: () => number, sigma: number, min: number, max: number): number {
  // Box-Muller; 1 - random() keeps log() away from 0.
  const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(max, Math.max(min, Math.exp(sigma * gaussian)));
}
