export { type ImageInfo, imageInfo } from './images.ts';
