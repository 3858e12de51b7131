import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { parseInput } from '../lib/validate.js';
import type { NewsletterService } from '../services/newsletter-service.js';
import { consentText } from '../services/newsletter-service.js';
import { email } from './auth-schemas.js';

const FORM_SOURCES = ['footer', 'home', 'page'] as const;

/** The sign-up form (footer, home page, /newsletter). Unknown `source` values count as the page. */
const subscribeForm = z.object({
  email,
  source: z.enum(FORM_SOURCES).catch('page'),
  // The honeypot: hidden from people, filled in by form-filling bots.
  website: z.string().max(200).optional(),
});
const tokenField = z.string().max(300).catch('');

/**
 * The shopper's newsletter pages: sign up, confirm (a button; mail scanners follow links, so a
 * GET never changes anything), and unsubscribe (GET asks; POST acts, which is also the RFC 8058
 * one-click endpoint mail clients call with no cookie). Pages that guests reach from a cached page
 * or a mail never need a session: no CSRF token is minted on them.
 */
export function createNewsletterController(deps: { newsletter: NewsletterService; storeName: string }) {
  const { newsletter } = deps;
  const info = (req: Request) => ({ ip: req.ip ?? '', userAgent: req.get('user-agent') });
  const consent = consentText(deps.storeName);
  const tokenOf = (req: Request) => tokenField.parse(req.query.token);

  /** Renders a page for an AppError with its status (and Retry-After for 429), or rethrows. */
  function failed(res: Response, err: unknown, view: string, locals: Record<string, unknown>) {
    if (!(err instanceof AppError)) throw err;
    if (err.status === 429) res.set('Retry-After', String((err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 60));
    res.status(err.status).render(view, { ...locals, error: err.message, errorCode: err.code, errors: err.fields ?? {} });
  }

  const noReferrer = (res: Response) => res.set('Referrer-Policy', 'no-referrer');

  return {
    /** GET /newsletter: the sign-up page (also where the no-JS form lands with field errors). */
    page(_req: Request, res: Response) {
      res.render('newsletter/subscribe', { title: 'Newsletter', values: {}, errors: {}, consent, hideNewsletterForm: true });
    },

    /**
     * POST /newsletter/subscribe: the same "check your inbox" answer whether the address is new,
     * pending, subscribed or unsubscribed (only the mail differs, and it goes to the address).
     */
    async subscribe(req: Request, res: Response) {
      const values = { email: typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '' };
      try {
        const form = parseInput(subscribeForm, req.body ?? {}, 'Please check your email address.');
        await newsletter.subscribe({ email: form.email, source: form.source, honeypot: form.website }, info(req));
        res.render('newsletter/check-email', { title: 'Check your inbox', email: form.email, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err, 'newsletter/subscribe', { title: 'Newsletter', values, consent, hideNewsletterForm: true });
      }
    },

    /** POST /api/newsletter/subscribe {email, source}: the footer script's call; same answer for every address. */
    async apiSubscribe(req: Request, res: Response) {
      const form = parseInput(subscribeForm, req.body ?? {}, 'Please check your email address.');
      await newsletter.subscribe({ email: form.email, source: form.source, honeypot: form.website }, info(req));
      res.json({ ok: true, message: `Almost done: we sent a confirmation link to ${form.email}. Open it to start your subscription.` });
    },

    /** GET /newsletter/confirm?token=…: a button that confirms (no change on GET). */
    async confirmPage(req: Request, res: Response) {
      noReferrer(res);
      const token = tokenOf(req);
      const usable = token ? await newsletter.confirmUsable(token) : false;
      res.status(usable ? 200 : 400).render('newsletter/confirm', { title: 'Confirm your subscription', token, usable, errors: {}, hideNewsletterForm: true });
    },

    /** POST /newsletter/confirm {token}: the address becomes a subscriber. */
    async confirm(req: Request, res: Response) {
      noReferrer(res);
      const token = tokenField.parse(req.body?.token);
      try {
        const { email: address } = await newsletter.confirm(token, info(req));
        res.render('newsletter/confirmed', { title: 'You are subscribed', email: address, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err, 'newsletter/confirm', { title: 'Confirm your subscription', token, usable: false, hideNewsletterForm: true });
      }
    },

    /** GET /newsletter/unsubscribe?token=…: asks first (mail scanners follow links; GET changes nothing). */
    async unsubscribePage(req: Request, res: Response) {
      noReferrer(res);
      const token = tokenOf(req);
      try {
        const target = await newsletter.unsubscribeTarget(token);
        res.render('newsletter/unsubscribe', { title: 'Unsubscribe', token, target, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err, 'newsletter/unsubscribe', { title: 'Unsubscribe', token: '', target: undefined, hideNewsletterForm: true });
      }
    },

    /**
     * POST /newsletter/unsubscribe?token=…: the one-click unsubscribe (RFC 8058: a mail client
     * posts `List-Unsubscribe=One-Click` with no cookie or CSRF token) and the page's button.
     * The signed token is the only authority; a bad one changes nothing (400).
     */
    async unsubscribe(req: Request, res: Response) {
      noReferrer(res);
      const token = tokenOf(req);
      const oneClick = (req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click' || Boolean(req.is('multipart/form-data'));
      try {
        const { email: address } = await newsletter.unsubscribe(token, info(req), oneClick ? 'one-click' : 'unsubscribe-page');
        res.render('newsletter/unsubscribed', { title: 'You are unsubscribed', email: address, hideNewsletterForm: true });
      } catch (err) {
        failed(res, err, 'newsletter/unsubscribe', { title: 'Unsubscribe', token: '', target: undefined, hideNewsletterForm: true });
      }
    },
  };
}
