export * from './errors.ts';
export * from './videos.ts';
