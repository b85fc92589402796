export { parseTelemetryEnv, type TelemetryEnv, telemetryEnvSchema, tracesUrl } from './env.ts';
export { startTelemetry, type Telemetry, type TelemetryOptions } from './telemetry.ts';
