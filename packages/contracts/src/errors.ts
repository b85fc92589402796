import { z } from 'zod';

/** OpenAI's error shape, which every 4xx and 5xx answer uses. */
export const errorResponse = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string(),
    }),
  })
  .meta({ id: 'Error' });
