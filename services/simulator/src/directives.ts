import { invalid } from './errors.ts';

// Per-prompt test controls: `#sim(key=value,...)` anywhere in a prompt (several allowed, later keys win).
// They let a test pin one job's behaviour without reconfiguring the simulator:
//   bytes=N        the video is padded to exactly N bytes (a valid MP4: fixture + a `free` box)
//   queue_ms=N     wall-clock queue wait in ms, taken as is (SIM_TIME_FACTOR does not apply)
//   render_ms=N    wall-clock render time in ms, taken as is (SIM_TIME_FACTOR does not apply)
//   fail=CODE      the job fails partway; `error` -> internal_error, `moderation` -> moderation_blocked,
//                  any other [a-z0-9_] word is used as the error code itself
//   fail_at=F      fraction (0..1) of the render at which it fails (default: seeded, 0.3..0.7)
// Wall-clock (not simulated) durations because a test states how long it is willing to wait.
// An unknown key or a bad value is a 400 naming `prompt`: a typo must not silently do nothing.

export interface Directives {
  bytes?: number;
  queueMs?: number;
  renderMs?: number;
  fail?: string;
  failAt?: number;
}

const DIRECTIVE = /#sim\(([^)]*)\)/g;
/** 64 GiB: big enough for any download test, small enough that a typo does not mean years of zeros. */
export const MAX_BYTES = 64 * 1024 ** 3;
const MAX_MS = 24 * 3600 * 1000;

export function parseDirectives(prompt: string): Directives {
  const found: Directives = {};
  for (const match of prompt.matchAll(DIRECTIVE)) {
    for (const pair of (match[1] ?? '').split(',')) {
      if (pair.trim() === '') continue;
      const [rawKey, rawValue = ''] = pair.split('=', 2);
      const key = (rawKey ?? '').trim();
      const value = rawValue.trim();
      apply(found, key, value);
    }
  }
  return found;
}

function apply(into: Directives, key: string, value: string): void {
  switch (key) {
    case 'bytes':
      into.bytes = integer(key, value, 0, MAX_BYTES);
      return;
    case 'queue_ms':
      into.queueMs = integer(key, value, 0, MAX_MS);
      return;
    case 'render_ms':
      into.renderMs = integer(key, value, 0, MAX_MS);
      return;
    case 'fail':
      if (!/^[a-z0-9_]{1,64}$/.test(value)) throw bad(`fail must be a lowercase word, got '${value}'`);
      into.fail = value;
      return;
    case 'fail_at': {
      const fraction = Number(value);
      if (value === '' || !(fraction >= 0 && fraction <= 1))
        throw bad(`fail_at must be 0..1, got '${value}'`);
      into.failAt = fraction;
      return;
    }
    default:
      throw bad(`unknown key '${key}' (known: bytes, queue_ms, render_ms, fail, fail_at)`);
  }
}

function integer(key: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw bad(`${key} must be a whole number ${min}..${max}`);
  return n;
}

const bad = (detail: string) => invalid('prompt', `Invalid #sim directive: ${detail}.`, 'invalid_directive');
