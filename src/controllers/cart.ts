import type { Request, Response } from 'express';
import { z } from 'zod';
import { UnauthorizedError } from '../lib/errors.js';
import { idField, idNumber } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import { MAX_LINES, MAX_QUANTITY, type CartService } from '../services/cart-service.js';
import { COUPON_CODE_MAX } from '../services/deal-service.js';
import type { Limiter } from '../services/rate-limits.js';

const productId = idNumber('productId');
const quantity = z
  .number({ error: 'quantity must be a number.' })
  .int('quantity must be a whole number.')
  .min(1, 'quantity must be at least 1.')
  .max(MAX_QUANTITY, `quantity can be at most ${MAX_QUANTITY} licences.`);
const line = z.object({ productId, quantity: quantity.default(1) }).strict();

const addBody = z.object({ productId, quantity: quantity.optional() }).strict();
const removeBody = z.object({ productId }).strict();
const items = z.array(line, { error: 'items must be a list.' }).max(MAX_LINES, `At most ${MAX_LINES} items.`);
const couponCode = z
  .string({ error: 'Enter a code.' })
  .trim()
  .min(1, 'Enter a code.')
  .max(COUPON_CODE_MAX, `Codes are at most ${COUPON_CODE_MAX} characters.`)
  .regex(/^[A-Za-z0-9_-]+$/, 'Codes are letters, digits, - and _ only.');
const anonymousId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'anonymousId must be 8–64 letters, digits, - or _.');
/** anonymousId: the browser's id, so the guest cart's history joins the account that pays for it (abandonment). */
const mergeBody = z.object({ items, coupon: couponCode.optional(), anonymousId: anonymousId.optional() }).strict();
/** A signed-in shopper's code goes on the saved cart; a guest sends the lines kept in the browser. */
const couponBody = z.object({ code: couponCode, items: items.optional() }).strict();
const guestEventBody = z
  .object({
    anonymousId,
    action: z.enum(['add', 'remove'], { error: 'action must be add or remove.' }),
    productId,
    quantity: quantity.optional(),
  })
  .strict();
/** `?items=12:1,15:2` (productId:quantity pairs), the guest cart kept in the browser. */
const quoteQuery = z
  .object({
    items: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
      .string({ error: 'items must be a list like 12:1,15:2.' })
      .max(1000, 'Too many items.')
      .regex(/^(\d{1,10}:\d{1,2})(,\d{1,10}:\d{1,2})*$/, 'items must be a list like 12:1,15:2.')
      .optional(),
    ),
    coupon: couponCode.optional(),
  })
  .strict();

export function createCartController(deps: { cart: CartService; codeTries: Limiter; codeKey: (req: Request) => string }) {
  const { cart } = deps;
  /** A quote or merge carrying a code: refused while over the limit; a code that is not valid counts. */
  async function throttledCode<T extends { couponDropped?: unknown }>(req: Request, code: string | undefined, work: () => Promise<T>): Promise<T> {
    if (!code) return work();
    const key = deps.codeKey(req);
    await deps.codeTries.check(key);
    const result = await work();
    if (result.couponDropped) await deps.codeTries.hit(key).catch(() => undefined);
    return result;
  }
  const userId = (req: Request) => {
    if (!req.user) throw new UnauthorizedError('Please sign in to use a saved cart.');
    return req.user.id;
  };

  return {
    /** GET /cart: the cart page (rendered by public/js/cart.js from the JSON API). */
    page(_req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').render('shop/cart', { title: 'Your cart', styles: ['/css/recommendations.css'] });
    },

    /** GET /api/cart: the signed-in user's cart, priced now. */
    async get(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json(await cart.getCart(userId(req)));
    },

    /** POST /api/cart/add {productId, quantity?}: adds a product (or sets its licences). */
    async add(req: Request, res: Response) {
      const body = parseInput(addBody, req.body);
      res.json(await cart.add(userId(req), body.productId, body.quantity ?? 1));
    },

    /** POST /api/cart/remove {productId} */
    async remove(req: Request, res: Response) {
      const body = parseInput(removeBody, req.body);
      res.json(await cart.remove(userId(req), body.productId));
    },

    /**
     * POST /cart/add (form, no JavaScript): adds for a signed-in shopper and goes back to the
     * product with a message. Guests' carts live in the browser, which needs JavaScript.
     */
    async addForm(req: Request, res: Response) {
      const body = parseInput(z.object({ productId: idField('productId'), quantity: idField('quantity').optional(), _csrf: z.string().optional() }), req.body ?? {});
      const result = await cart.add(userId(req), body.productId, Math.min(body.quantity ?? 1, MAX_QUANTITY));
      const added = result.items.find((i) => i.productId === body.productId);
      if (req.session) req.session.flash = { type: 'success', message: `${added?.title ?? 'The product'} is in your cart.` };
      res.redirect(303, '/cart');
    },

    /** GET /cart/add?product=<slug>: what a guest without JavaScript sees instead of a silent button. */
    noScriptGuest(req: Request, res: Response) {
      const slug = typeof req.query.product === 'string' && /^[a-z0-9-]{1,120}$/.test(req.query.product) ? req.query.product : undefined;
      res.render('shop/cart-no-script', { title: 'Sign in to keep a cart', back: slug ? `/products/${slug}` : '/products' });
    },

    /** POST /api/cart/merge {items}: folds a guest cart into the user's after sign-in. */
    async merge(req: Request, res: Response) {
      const body = parseInput(mergeBody, req.body);
      res.json(await throttledCode(req, body.coupon, () => cart.merge(userId(req), body.items, body.coupon, body.anonymousId)));
    },

    /** GET /api/cart/quote?items=12:1,15:2: current prices for a guest cart. */
    async quote(req: Request, res: Response) {
      const q = parseInput(quoteQuery, req.query);
      const items = (q.items ? q.items.split(',') : []).map((pair) => {
        const [id, qty] = pair.split(':').map(Number) as [number, number];
        return { productId: id, quantity: qty };
      });
      const bad = items.findIndex((i) => !line.safeParse(i).success);
      if (bad >= 0) parseInput(line, items[bad]);
      if (items.length > MAX_LINES) parseInput(mergeBody, { items });
      res.set('Cache-Control', 'no-store').json(await throttledCode(req, q.coupon, () => cart.quote(items, q.coupon)));
    },

    /**
     * POST /api/cart/coupon {code, items?}: applies a coupon code, or says why it cannot (400/409
     * with the reason as `code` and the message on the field). Signed in, it goes on the saved
     * cart; a guest's browser keeps the code with its lines.
     */
    async applyCoupon(req: Request, res: Response) {
      const body = parseInput(couponBody, req.body);
      const who = req.user ? { userId: req.user.id } : { items: body.items ?? [] };
      res.set('Cache-Control', 'no-store').json(await cart.applyCoupon(who, body.code));
    },

    /** POST /api/cart/coupon/remove: takes the code off the saved cart (a guest's browser just forgets it). */
    async removeCoupon(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json(await cart.removeCoupon(userId(req)));
    },

    /** POST /api/cart/events {anonymousId, action, productId}: a guest's add/remove, for analytics. */
    async guestEvent(req: Request, res: Response) {
      const body = parseInput(guestEventBody, req.body);
      await cart.trackGuest(body.anonymousId, body.action, body.productId, body.quantity);
      res.status(204).end();
    },
  };
}
