import { env, parseEnv } from '@reelay/config';
import { z } from 'zod';

// The simulator's whole configuration. main.ts parses it from the environment once; startSimulator()
// takes the same object (as overrides over the defaults) so in-process tests and the child process
// spawned by benches are configured identically.

/** A probability: the share of matching requests that get a fault, 0 (never) to 1 (always). */
const rate = () => env.number(0, 0, 1);

export const simulatorConfigSchema = z.object({
  ...env.logSection,
  /** Interface to listen on; the dev stack in a container sets 0.0.0.0. */
  SIM_HOST: env.text('127.0.0.1'),
  SIM_PORT: env.port(4010),
  /** Which wire shape the unprefixed `/v1` serves; `/openai/v1` and `/newapi/v1` always pick one. */
  SIM_FLAVOR: env.oneOf(['openai', 'newapi'] as const, 'openai'),
  /** When non-empty only these bearer keys are accepted; when empty any key is its own tenant. */
  SIM_API_KEYS: env.list(),
  /** Seeds render-time noise and random faults, so a run with the same jobs is reproducible. */
  SIM_SEED: env.text('reelay'),
  /**
   * Multiplies every simulated duration: 1 is realistic (sora-2, 4 s, 720p renders in ~50 s), tests use
   * 0.002-0.01. The rate-limit window ("a minute") scales with it too; HTTP-level delays do not.
   */
  SIM_TIME_FACTOR: env.number(1, 0.00001, 1000),
  /** Jobs a key may have queued or in progress at once; one more create is a 429. */
  SIM_CONCURRENCY: env.int(8, 1),
  /** Requests a key may make per simulated minute (token bucket with this burst). */
  SIM_RPM: env.int(600, 1),
  /** A prompt containing this text (case-insensitive) fails partway with `moderation_blocked`. */
  SIM_MODERATION_MARKER: env.text('[blocked]'),
  /** Seconds (wall clock, not scaled) a finished video stays downloadable; `expires_at` says when. */
  SIM_CONTENT_TTL_S: env.int(3600, 1),
  SIM_FAULT_5XX_RATE: rate(),
  SIM_FAULT_429_RATE: rate(),
  SIM_FAULT_RESET_RATE: rate(),
  SIM_FAULT_SLOW_RATE: rate(),
  /** How long a random `slow` fault holds the answer, in wall-clock ms. */
  SIM_FAULT_SLOW_MS: env.int(3000, 0, 600_000),
  /** Applies to content downloads only: full Content-Length, then the connection drops halfway. */
  SIM_FAULT_TRUNCATE_RATE: rate(),
  /** Applies to the newapi flavor only: HTTP 200 whose body is a gateway error. */
  SIM_FAULT_ERROR200_RATE: rate(),
});

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

/** Every default, as if the environment were empty. */
export const defaultConfig = (): SimulatorConfig => parseEnv(simulatorConfigSchema, {});
