export { type ApiKeyInfo, ApiKeyStore, type Principal, type Scope, TENANT_ID } from './api-keys.ts';
export { TenantDirectory, tenantsKey } from './directory.ts';
