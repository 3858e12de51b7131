import { Router } from 'express';
import { createNewsletterController } from '../controllers/newsletter.js';
import type { Deps } from '../deps.js';

/**
 * POSTs that skip the CSRF check (app.ts), each for a stated reason:
 * - `/newsletter/unsubscribe`: the RFC 8058 one-click POST comes from a mail provider with no
 *   cookie and no token; the signed per-subscriber token in its URL is the authority.
 * - `/newsletter/subscribe` and its JSON twin: the form sits on guest pages served from the
 *   shared cache, which carry no token (and must not mint a session per guest). A forged
 *   sign-up can do no more than the attacker could do from their own browser: send one
 *   confirmation mail, throttled per network and per address; nobody is subscribed until the
 *   address's owner clicks the link in it, and no session or account is involved.
 */
export const NEWSLETTER_CSRF_EXEMPT: ReadonlySet<string> = new Set(['/newsletter/subscribe', '/api/newsletter/subscribe', '/newsletter/unsubscribe']);

export function newsletterRoutes(deps: Deps): Router {
  const c = createNewsletterController({ newsletter: deps.services.newsletter, storeName: deps.config.storeName });
  const r = Router();
  r.get('/newsletter', c.page);
  r.post('/newsletter/subscribe', c.subscribe);
  r.post('/api/newsletter/subscribe', c.apiSubscribe);
  r.get('/newsletter/confirm', c.confirmPage);
  r.post('/newsletter/confirm', c.confirm);
  r.get('/newsletter/unsubscribe', c.unsubscribePage);
  r.post('/newsletter/unsubscribe', c.unsubscribe);
  return r;
}
