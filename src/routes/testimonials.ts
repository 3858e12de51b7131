import { Router } from 'express';
import { createTestimonialController } from '../controllers/testimonials.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';
import { noStore } from '../middleware/security.js';

/**
 * Testimonials on the shopper's side: the buyer's form on a paid order, and the cards of the
 * home and product pages, put in `res.locals.testimonials` before the shop's own handlers render
 * those pages (views/partials/testimonials.ejs shows them). Mounted before shopRoutes.
 */
export function testimonialRoutes(deps: Deps): Router {
  const c = createTestimonialController({ testimonials: deps.services.testimonials });
  const r = Router();
  r.get('/', c.homeBlock);
  r.get('/products/:slug', c.productBlock);
  r.use('/orders/:id/testimonial', noStore);
  r.get('/orders/:id/testimonial', requireUser, c.form);
  r.post('/orders/:id/testimonial', requireUser, c.submit);
  return r;
}
