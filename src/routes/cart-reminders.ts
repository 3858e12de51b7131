import { Router } from 'express';
import { createCartReminderController } from '../controllers/cart-reminders.js';
import type { Deps } from '../deps.js';

/**
 * The links in abandoned-cart reminders. `/cart/return/<token>` leads back to the cart (or to
 * sign-in when signed out; it never signs anyone in). `/cart-reminders/unsubscribe?token=…`
 * asks on GET and acts on POST, which is also the RFC 8058 one-click endpoint the mail's
 * List-Unsubscribe header names.
 *
 * That one-click POST comes from a mail provider with no cookie and no CSRF token; the signed
 * per-user token in its URL is the authority, so it must skip the CSRF check in app.ts, like the
 * newsletter's (`CART_REMINDER_CSRF_EXEMPT`). The page's own button also carries a CSRF token,
 * so it works either way.
 */
export const CART_REMINDER_CSRF_EXEMPT: ReadonlySet<string> = new Set(['/cart-reminders/unsubscribe']);

export function cartReminderRoutes(deps: Deps): Router {
  const c = createCartReminderController({ reminders: deps.services.cartReminders });
  const r = Router();
  r.get('/cart/return/:token', c.followLink);
  r.get('/cart-reminders/unsubscribe', c.unsubscribePage);
  r.post('/cart-reminders/unsubscribe', c.unsubscribe);
  r.post('/cart-reminders/resubscribe', c.resubscribe);
  return r;
}
