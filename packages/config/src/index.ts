export * as env from './fields.ts';
export { ConfigError, loadConfig, parseEnv } from './parse.ts';
