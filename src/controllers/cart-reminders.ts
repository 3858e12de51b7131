import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import type { CartReminderService } from '../services/cart-reminder-service.js';

const tokenField = z.string().max(200).catch('');

/**
 * The reminder mails' links: back to the cart, and turning reminders off (GET asks, since mail
 * scanners follow links; POST acts). None needs a session: the signed token is the authority.
 */
export function createCartReminderController(deps: { reminders: CartReminderService }) {
  const { reminders } = deps;
  const noStore = (res: Response) => res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });
  const queryToken = (req: Request) => tokenField.parse(req.query.token);

  /** Renders the unsubscribe page for a bad token (400) or rethrows anything else. */
  function failed(res: Response, err: unknown) {
    if (!(err instanceof AppError)) throw err;
    res.status(err.status).render('cart-reminders/unsubscribe', { title: 'Cart reminders', token: '', target: undefined, error: err.message, errorCode: err.code, errors: {}, hideNewsletterForm: true });
  }

  return {
    /** GET /cart/return/:token: records the click, applies the mail's code, then to the cart (or sign-in). */
    async followLink(req: Request, res: Response) {
      noStore(res);
      const to = await reminders.followLink(tokenField.parse(req.params.token), req.user?.id);
      res.redirect(303, to);
    },

    /** GET /cart-reminders/unsubscribe?token=…: asks first; changes nothing. */
    async unsubscribePage(req: Request, res: Response) {
      noStore(res);
      const token = queryToken(req);
      try {
        const target = await reminders.unsubscribeTarget(token);
        res.render('cart-reminders/unsubscribe', { title: 'Cart reminders', token, target, errors: {}, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err);
      }
    },

    /**
     * POST /cart-reminders/unsubscribe?token=…: the one-click unsubscribe (RFC 8058: a mail
     * client posts `List-Unsubscribe=One-Click`) and the page's button. Idempotent.
     */
    async unsubscribe(req: Request, res: Response) {
      noStore(res);
      const token = queryToken(req);
      const oneClick = (req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click' || Boolean(req.is('multipart/form-data'));
      try {
        await reminders.unsubscribe(token, oneClick ? 'one-click' : 'unsubscribe-page');
        res.render('cart-reminders/unsubscribed', { title: 'Cart reminders turned off', token, oneClick, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err);
      }
    },

    /** POST /cart-reminders/resubscribe?token=…: "changed your mind?" turns them back on. */
    async resubscribe(req: Request, res: Response) {
      noStore(res);
      const token = queryToken(req);
      try {
        await reminders.resubscribe(token);
        res.render('cart-reminders/unsubscribe', { title: 'Cart reminders', token, target: { optedOut: false }, resubscribed: true, errors: {}, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err);
      }
    },
  };
}
