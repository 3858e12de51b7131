import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError, UnauthorizedError, ValidationError } from '../lib/errors.js';
import { idField, lineText, multilineText, pathId } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import type { TestimonialService } from '../services/testimonial-service.js';
import { SLUG_PATTERN } from './catalog-query.js';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** A rating of whole stars, 1 to 5, as a form posts it (text) or a script sends it (a number). */
export const ratingField = z.preprocess(
  blank,
  z.union([z.number(), z.string().trim().regex(/^-?\d+$/, 'Choose a rating from 1 to 5 stars.')], { error: 'Choose a rating from 1 to 5 stars.' }).transform(Number).pipe(z.number().int('Choose a rating from 1 to 5 stars.').min(1, 'Choose a rating from 1 to 5 stars.').max(5, 'Choose a rating from 1 to 5 stars.')),
);
export const quoteField = (label: string) => multilineText(label, 1000).pipe(z.string().min(10, 'Write a little more (at least 10 characters).'));
export const nameField = lineText('Name', 80).pipe(z.string().min(1, 'Enter the name to show.'));
export const roleField = lineText('Role or city', 80).default('');

/**
 * The buyer's form. Unknown fields (a `status`, a `userId`) are dropped, not obeyed: the server
 * decides who wrote it, for which order, and that it waits for review.
 */
const buyerForm = z
  .object({
    name: nameField,
    roleOrCity: roleField,
    quote: quoteField('Your testimonial'),
    rating: ratingField,
    productId: z.preprocess(blank, idField('Product').optional()),
  })
  .strip();

export function createTestimonialController(deps: { testimonials: TestimonialService }) {
  const { testimonials } = deps;
  const userOf = (req: Request) => {
    if (!req.user) throw new UnauthorizedError();
    return req.user;
  };
  const orderIdOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('We could not find that order.');
    return id;
  };

  async function page(req: Request, res: Response, extra: { values?: Record<string, unknown>; errors?: Record<string, string>; error?: string } = {}) {
    const user = userOf(req);
    const { order, products, existing } = await testimonials.buyerPage(user.id, orderIdOf(req));
    res.render('account/testimonial', {
      title: `Your testimonial for order #${order.id}`,
      styles: ['/css/testimonials.css'],
      order,
      products,
      existing,
      thanks: req.query.thanks === '1',
      values: extra.values ?? { name: user.name, roleOrCity: '', quote: '', rating: '', productId: products[0] ? String(products[0].id) : '' },
      errors: extra.errors ?? {},
      error: extra.error,
    });
  }

  return {
    /** GET / (before the shop's handler): the featured testimonials for the home page. */
    async homeBlock(_req: Request, res: Response, next: NextFunction) {
      res.locals.testimonials = await testimonials.featured();
      next();
    },

    /** GET /products/:slug (before the shop's handler): the product's published testimonials. */
    async productBlock(req: Request, res: Response, next: NextFunction) {
      const slug = String(req.params.slug);
      res.locals.testimonials = SLUG_PATTERN.test(slug) && slug.length <= 120 ? await testimonials.forProduct(slug) : [];
      next();
    },

    /** GET /orders/:id/testimonial: the form, or the testimonial already left for this order. */
    async form(req: Request, res: Response) {
      await page(req, res);
    },

    /** POST /orders/:id/testimonial: leaves it (once per paid order), pending review. */
    async submit(req: Request, res: Response) {
      const user = userOf(req);
      const orderId = orderIdOf(req);
      const raw = (req.body ?? {}) as Record<string, unknown>;
      try {
        const form = parseInput(buyerForm, raw, 'Please check the highlighted fields.');
        await testimonials.submit(user.id, orderId, { name: form.name, role: form.roleOrCity, quote: form.quote, rating: form.rating, productId: form.productId });
        res.redirect(303, `/orders/${orderId}/testimonial?thanks=1`);
      } catch (err) {
        const formError = err instanceof ValidationError || (err instanceof AppError && err.code === 'TESTIMONIAL_EXISTS');
        if (!formError || req.originalUrl.startsWith('/api/') || !req.accepts('html')) throw err;
        const values = Object.fromEntries(['name', 'roleOrCity', 'quote', 'rating', 'productId'].map((k) => [k, typeof raw[k] === 'string' ? (raw[k] as string).slice(0, 2000) : '']));
        res.status((err as AppError).status);
        await page(req, res, { values, errors: (err as AppError).fields ?? {}, error: (err as AppError).message });
      }
    },
  };
}
