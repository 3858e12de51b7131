import { z } from 'zod';
import { isCleanLine } from '../lib/fields.js';

/** Query parameters shared by the catalog page and GET /api/products. */

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const SORTS = ['relevance', 'newest', 'price-asc', 'price-desc', 'rating'] as const;

export const catalogQueryShape = {
  q: z.preprocess(blankToUndefined, z.string({ error: 'Search must be text.' }).max(100, 'Search can be at most 100 characters.').refine(isCleanLine, 'Search contains characters that are not allowed.').optional()),
  category: z.preprocess(
    blankToUndefined,
    z.string({ error: 'Category must be text.' }).max(80, 'Category is too long.').regex(SLUG_PATTERN, 'That is not a category name.').optional(),
  ),
  tag: z.preprocess(
    blankToUndefined,
    z.string({ error: 'Tag must be text.' }).max(40, 'Tag is too long.').regex(/^[\p{L}\p{N} -]+$/u, 'That is not a tag.').optional(),
  ),
  sort: z.preprocess(blankToUndefined, z.enum(SORTS, { error: `Sort must be one of: ${SORTS.join(', ')}.` }).optional()),
  page: z.preprocess(
    blankToUndefined,
    z.coerce
      .number({ error: 'Page must be a number.' })
      .int('Page must be a whole number.')
      .min(1, 'Page must be 1 or more.')
      .max(10_000, 'Page is too large.')
      .default(1),
  ),
};

/** The storefront ignores unknown parameters (utm_source and friends arrive from links). */
export const catalogPageQuery = z.object(catalogQueryShape);

/** Scripts get strict input: an unknown parameter is a mistake worth reporting. */
export const catalogApiQuery = z
  .object({
    ...catalogQueryShape,
    pageSize: z.preprocess(
      blankToUndefined,
      z.coerce.number({ error: 'pageSize must be a number.' }).int('pageSize must be a whole number.').min(1, 'pageSize must be 1 or more.').max(60, 'pageSize can be at most 60.').default(24),
    ),
  })
  .strict();
