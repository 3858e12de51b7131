import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../lib/errors.js';
import { pathId } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import type { ProductViewService } from '../services/product-view-service.js';

/** The beacon's body (form-encoded or JSON): only the browser's anonymous id. */
const viewBody = z
  .object({
    anonymousId: z.string({ error: 'anonymousId must be text.' }).regex(/^[A-Za-z0-9_-]{8,64}$/, 'anonymousId must be 8–64 letters, digits, - or _.').optional(),
  })
  .strict();

export function createProductViewController(deps: { productViews: ProductViewService }) {
  const { productViews } = deps;
  return {
    /** POST /api/products/:id/views {anonymousId}: the product page's beacon; 204 whether counted or not. */
    async record(req: Request, res: Response) {
      const productId = pathId(req.params.id);
      if (productId === undefined) throw new ValidationError('Some fields are not valid.', { id: 'The product id must be a whole number.' });
      const body = parseInput(viewBody, req.body ?? {});
      await productViews.record({ productId, userId: req.user?.id, anonymousId: body.anonymousId, userAgent: req.get('user-agent') });
      res.set('Cache-Control', 'no-store').status(204).end();
    },
  };
}
