import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError } from '../lib/errors.js';
import { idField, lineText, multilineText } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import { CONTACT_TOPICS, type ContactService } from '../services/contact-service.js';
import { email } from './auth-schemas.js';

const contactForm = z.object({
  name: lineText('Your name', 100).pipe(z.string().min(1, 'Enter your name.')),
  email,
  topic: z.enum(Object.keys(CONTACT_TOPICS) as [keyof typeof CONTACT_TOPICS], { error: 'Choose what your message is about.' }),
  orderId: z.preprocess((v) => (v === '' ? undefined : typeof v === 'string' ? v.replace(/^#/, '') : v), idField('Order number').optional()),
  message: multilineText('Your message', 4000).pipe(z.string().min(10, 'Tell us a little more (at least 10 characters).')),
  // The honeypot: hidden from people, filled in by form-filling bots.
  website: z.string().max(200).optional(),
});

/** The store's policies, as Razorpay asks merchants to publish before activation. */
export const POLICIES = {
  refunds: 'Refunds and cancellations',
  terms: 'Terms of service',
  privacy: 'Privacy policy',
  delivery: 'Delivery of digital products',
} as const;

/** Contact and policy pages. Policy texts are plain EJS files in views/pages/policies/, for the owner to edit. */
export function createPagesController(deps: { contact: ContactService; supportEmail: string }) {
  return {
    /** GET /contact */
    contactPage(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').render('pages/contact', {
        title: 'Contact us',
        topics: CONTACT_TOPICS,
        values: { name: req.user?.name ?? '', email: req.user?.email ?? '', topic: typeof req.query.topic === 'string' ? req.query.topic : '', orderId: typeof req.query.order === 'string' ? req.query.order.slice(0, 12) : '' },
        errors: {},
        sent: req.query.sent === '1',
        supportEmail: deps.supportEmail,
      });
    },

    /** POST /contact: stores the message and mails the support team; the form comes back with messages on errors. */
    async contact(req: Request, res: Response) {
      const raw = (req.body ?? {}) as Record<string, unknown>;
      const values = Object.fromEntries(['name', 'email', 'topic', 'orderId', 'message'].map((k) => [k, typeof raw[k] === 'string' ? (raw[k] as string).slice(0, 4000) : '']));
      try {
        const body = parseInput(contactForm.strip(), raw, 'Please check the highlighted fields.');
        await deps.contact.submit({ ...body, honeypot: body.website }, { userId: req.user?.id, ip: req.ip ?? '' });
        res.redirect(303, '/contact?sent=1');
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        if (err.status === 429) res.set('Retry-After', String((err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 3600));
        res.status(err.status).render('pages/contact', { title: 'Contact us', topics: CONTACT_TOPICS, values, errors: err.fields ?? {}, error: err.message, sent: false, supportEmail: deps.supportEmail });
      }
    },

    /** GET /policies/:page */
    policy(req: Request, res: Response) {
      const page = String(req.params.page) as keyof typeof POLICIES;
      if (!Object.hasOwn(POLICIES, page)) throw new NotFoundError('We could not find that page.');
      res.render('pages/policy', { title: POLICIES[page], page, policies: POLICIES, supportEmail: deps.supportEmail });
    },
  };
}
