export { type ApiKeyInfo, ApiKeyStore, type Principal, type Scope, TENANT_ID } from './api-keys.ts';
