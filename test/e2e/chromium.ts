import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's build, driven by playwright-core (which ships no browser of its own). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Makes sure Debian's `chromium` is installed, installing it with apt-get when it is missing (what
 * `./reelay test` does up front; this covers running the file alone). A first install takes a minute
 * or two, so callers give their setup hook that long.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  try {
    install();
  } catch {
    // A machine that never ran `apt-get update` has no package lists (or stale ones) yet.
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'pipe'] });
    install();
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
  return CHROMIUM;
}
