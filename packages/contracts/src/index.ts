export * from './errors.ts';
export * from './videos.ts';
export * from './webhooks.ts';
