// What the simulated provider offers: the Sora 2 catalog as OpenAI documented it before the shutdown.
// The fixture generator, the validator and the render-time model all read these lists, so adding a size
// here (and regenerating fixtures) is the whole change.

export const MODELS = ['sora-2', 'sora-2-pro'] as const;
export type Model = (typeof MODELS)[number];

/** Clip lengths as the wire spells them: strings. "16" and "20" arrived after launch. */
export const SECONDS = ['4', '8', '12', '16', '20'] as const;
export type Seconds = (typeof SECONDS)[number];

/** Every size any model renders; the fixture set has one clip per size and length. */
export const SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024', '1080x1920', '1920x1080'] as const;
export type Size = (typeof SIZES)[number];

/** sora-2 renders the two 720p sizes only; pro adds the tall/wide and 1080p ones. */
export const SIZES_BY_MODEL: Record<Model, readonly Size[]> = {
  'sora-2': ['720x1280', '1280x720'],
  'sora-2-pro': SIZES,
};

export const DEFAULT_MODEL: Model = 'sora-2';
export const DEFAULT_SIZE: Size = '720x1280';
export const DEFAULT_SECONDS: Seconds = '4';

export const isModel = (value: string): value is Model => (MODELS as readonly string[]).includes(value);
export const isSize = (value: string): value is Size => (SIZES as readonly string[]).includes(value);
export const isSeconds = (value: string): value is Seconds => (SECONDS as readonly string[]).includes(value);

export function dimensions(size: Size): { width: number; height: number } {
  const [width, height] = size.split('x').map(Number) as [number, number];
  return { width, height };
}

/** Fixture file names, shared by the generator (writer) and media.ts (reader). */
export const fixtureNames = {
  video: (size: Size, seconds: Seconds) => `video_${size}_${seconds}s.mp4`,
  thumbnail: (size: Size) => `thumbnail_${size}.webp`,
  spritesheet: (size: Size) => `spritesheet_${size}.jpg`,
};
