import type { Request, Response } from 'express';
import { pipeline } from 'node:stream';
import { z } from 'zod';
import { NotFoundError } from '../../lib/errors.js';
import { idField, lineText, pathId } from '../../lib/fields.js';
import { parseInput } from '../../lib/validate.js';
import { SUBSCRIBER_STATUSES, type SubscriberListRow } from '../../models/newsletter-subscribers.js';
import type { NewsletterAdminService } from '../../services/newsletter-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const PAGE_SIZE = 50;

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const listFields = z.object({
  q: z.preprocess(blank, lineText('Search', 254).transform((s) => s.toLowerCase()).optional()),
  status: z.preprocess(blank, z.enum(SUBSCRIBER_STATUSES, { error: 'Choose a status from the list.' }).optional()),
  before: z.preprocess(blank, idField('Page').optional()),
});
const exportFields = listFields.omit({ before: true });
const csrfOnly = z.object({ _csrf: z.string().optional() });

export const STATUS_LABELS: Record<(typeof SUBSCRIBER_STATUSES)[number], string> = { pending: 'Pending', subscribed: 'Subscribed', unsubscribed: 'Unsubscribed', bounced: 'Bounced' };

const apiRow = (r: SubscriberListRow) => ({ id: r.id, email: r.email, status: r.status, source: r.source, createdAt: r.created_at, confirmedAt: r.confirmed_at, unsubscribedAt: r.unsubscribed_at });

/** The subscribers module of the admin area: list, one subscriber, removal, CSV export. */
export function createNewsletterAdminController(deps: { newsletter: NewsletterAdminService }) {
  const { newsletter } = deps;
  const idOf = (req: Request) => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError('There is no such subscriber.');
    return id;
  };

  return {
    /** GET /admin/subscribers: counts and growth, then search (email beginning) and status, newest first, 50 a page. */
    async list(req: Request, res: Response) {
      const q = parseInput(listFields, req.query, 'Please check the search.');
      const [overview, result] = await Promise.all([newsletter.overview(), newsletter.list({ q: q.q, status: q.status, before: q.before, pageSize: PAGE_SIZE })]);
      renderAdmin(res, 'newsletter/list', { title: 'Subscribers', crumbs: [{ label: 'Subscribers' }], query: q, overview, result, statuses: SUBSCRIBER_STATUSES, labels: STATUS_LABELS });
    },

    /** GET /admin/subscribers/:id: the subscriber, their consent records and the admin history. */
    async detail(req: Request, res: Response) {
      const d = await newsletter.get(idOf(req));
      renderAdmin(res, 'newsletter/detail', { title: d.subscriber.email, crumbs: [{ label: 'Subscribers', href: '/admin/subscribers' }, { label: `Subscriber #${d.subscriber.id}` }], ...d, audit: d.history, labels: STATUS_LABELS });
    },

    /** GET /admin/subscribers/:id/remove: what removal does, before it is done. */
    async confirmRemove(req: Request, res: Response) {
      const { subscriber } = await newsletter.get(idOf(req));
      renderAdmin(res, 'newsletter/remove', { title: 'Remove this subscriber?', crumbs: [{ label: 'Subscribers', href: '/admin/subscribers' }, { label: `Subscriber #${subscriber.id}`, href: `/admin/subscribers/${subscriber.id}` }, { label: 'Remove' }], subscriber, labels: STATUS_LABELS });
    },

    /** POST /admin/subscribers/:id/remove (and /api/admin/…): off the list; the consent history stays. */
    async remove(req: Request, res: Response) {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      const r = await newsletter.remove(id, actorOf(req));
      done(req, res, { redirect: `/admin/subscribers/${id}`, message: r.changed ? `${r.email} was removed from the newsletter.` : `${r.email} was already unsubscribed.`, json: { ok: true, changed: r.changed } });
    },

    /** GET /admin/subscribers/export.csv?q=&status=: every match as CSV, streamed from a cursor. */
    async exportCsv(req: Request, res: Response) {
      const q = parseInput(exportFields, req.query, 'Please check the search.');
      const csv = await newsletter.exportCsv({ q: q.q, status: q.status }, actorOf(req));
      res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="subscribers${q.status ? `-${q.status}` : ''}.csv"`, 'X-Content-Type-Options': 'nosniff' });
      // A client that goes away destroys the chain, which closes the database cursor.
      pipeline(csv, res, () => undefined);
    },

    /** GET /api/admin/subscribers: one page with its cursor, and the counts per status. */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listFields.strict(), req.query, 'Please check the query parameters.');
      const [overview, result] = await Promise.all([newsletter.overview(), newsletter.list({ q: q.q, status: q.status, before: q.before, pageSize: PAGE_SIZE })]);
      res.json({ items: result.rows.map(apiRow), next: result.next ?? null, counts: overview.counts, growth: overview.growth });
    },

    /** GET /api/admin/subscribers/:id */
    async apiGet(req: Request, res: Response) {
      const d = await newsletter.get(idOf(req));
      res.json({
        subscriber: apiRow(d.subscriber),
        consents: d.consents.map((c) => ({ action: c.action, source: c.source, ip: c.ip, userAgent: c.user_agent, text: c.consent_text, version: c.consent_version, at: c.created_at })),
        audit: d.history.map((a) => ({ action: a.action, summary: a.summary, actor: a.actor_email, at: a.created_at })),
      });
    },
  };
}
