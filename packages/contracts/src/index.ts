export * from './errors.ts';
export * from './search.ts';
export * from './videos.ts';
export * from './webhooks.ts';
