import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { idField, lineText, multilineText, pathId } from '../../lib/fields.js';
import { parseIstLocal, toIstLocal } from '../../lib/india-time.js';
import { parseInput } from '../../lib/validate.js';
import type { IssueListRow, IssueRow } from '../../models/newsletter-issues.js';
import { ISSUE_LIMITS, progressOf, type IssueInput, type NewsletterIssueService } from '../../services/newsletter-issue-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const PAGE_SIZE = 25;
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const issueForm = z.object({
  subject: z.preprocess((v) => v ?? '', lineText('The subject', ISSUE_LIMITS.subject).pipe(z.string().min(1, 'Give the issue a subject.'))),
  preheader: z.preprocess((v) => v ?? '', lineText('The preview text', ISSUE_LIMITS.preheader)),
  body: z.preprocess((v) => v ?? '', multilineText('The body', ISSUE_LIMITS.body).pipe(z.string().min(1, 'Write the newsletter (Markdown).'))),
  _csrf: z.string().optional(),
  action: z.string().optional(),
});
const scheduleForm = z.object({
  scheduledAt: z.string({ error: 'Choose the date and time (India time).' }).transform((v, ctx) => {
    const at = parseIstLocal(v);
    if (!at) {
      ctx.addIssue({ code: 'custom', message: 'Choose the date and time (India time).' });
      return z.NEVER;
    }
    return at;
  }),
  _csrf: z.string().optional(),
});
const listFields = z.object({ before: z.preprocess(blank, idField('Page').optional()) });
const csrfOnly = z.object({ _csrf: z.string().optional() });

export const ISSUE_STATUS_LABELS: Record<IssueRow['status'], string> = { draft: 'Draft', scheduled: 'Scheduled', sending: 'Sending', sent: 'Sent', cancelled: 'Cancelled' };

const apiIssue = (i: IssueListRow | IssueRow) => ({
  id: Number(i.id),
  kind: i.kind,
  offerId: i.offer_id,
  subject: i.subject,
  status: i.status,
  scheduledAt: i.scheduled_at,
  startedAt: i.started_at,
  finishedAt: i.finished_at,
  cancelledAt: i.cancelled_at,
  progress: progressOf(i),
  ...('body_md' in i ? { preheader: i.preheader, body: i.body_md } : {}),
});

/** Newsletter issues and offer campaigns in the admin area: list, write, preview, test, send, schedule, cancel. */
export function createNewsletterIssueAdminController(deps: { issues: NewsletterIssueService; clock: { now(): Date } }) {
  const { issues } = deps;
  const idOf = (req: Request, what = 'newsletter issue') => {
    const id = pathId(req.params.id);
    if (id === undefined) throw new NotFoundError(`There is no such ${what}.`);
    return id;
  };
  const crumbs = (label?: string) => [{ label: 'Newsletter', href: '/admin/newsletter' }, ...(label ? [{ label }] : [])];
  const inputOf = (body: unknown): IssueInput => {
    const f = parseInput(issueForm, body ?? {}, 'Please check the highlighted fields.');
    return { subject: f.subject, preheader: f.preheader, body: f.body };
  };

  /** The issue's page: the editor (draft or scheduled) or its report, the preview and actions. */
  async function issuePage(res: Response, id: number, over: Record<string, unknown> = {}) {
    const d = await issues.get(id);
    // This page frames its own preview (/admin/newsletter/:id/preview, sandboxed): the app's
    // policy allows only the payment frames, so 'self' is added here, for this page alone.
    const csp = res.getHeader('Content-Security-Policy');
    if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.includes('frame-src') ? csp.replace('frame-src', "frame-src 'self'") : `${csp};frame-src 'self'`);
    const i = d.issue;
    renderAdmin(res, 'newsletter-issues/edit', {
      title: i.subject,
      crumbs: crumbs(`Issue #${i.id}`),
      ...d,
      audit: d.history,
      labels: ISSUE_STATUS_LABELS,
      values: { subject: i.subject, preheader: i.preheader, body: i.body_md },
      scheduleValue: i.scheduled_at ? toIstLocal(new Date(i.scheduled_at)) : toIstLocal(new Date(deps.clock.now().getTime() + 3_600_000)),
      errors: {},
      ...over,
    });
  }

  /** Runs an action; a 400/409 on a page re-renders the issue with the message. */
  async function act(req: Request, res: Response, id: number, run: () => Promise<{ message: string; json?: unknown }>) {
    try {
      const r = await run();
      done(req, res, { redirect: `/admin/newsletter/${id}`, message: r.message, json: r.json });
    } catch (err) {
      if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
      res.status(400);
      await issuePage(res, id, { errors: err.fields ?? {}, error: err.message, ...(req.body?.scheduledAt ? { scheduleValue: String(req.body.scheduledAt).slice(0, 20) } : {}) });
    }
  }

  return {
    /** GET /admin/newsletter: issues newest first (25 a page, keyset), with their progress. */
    async list(req: Request, res: Response) {
      const q = parseInput(listFields, req.query, 'Please check the page.');
      const result = await issues.list({ before: q.before, pageSize: PAGE_SIZE });
      renderAdmin(res, 'newsletter-issues/list', { title: 'Newsletter', crumbs: crumbs(), result, query: q, labels: ISSUE_STATUS_LABELS });
    },

    /** GET /admin/newsletter/new: an empty editor. */
    newForm(_req: Request, res: Response) {
      renderAdmin(res, 'newsletter-issues/new', { title: 'New newsletter issue', crumbs: crumbs('New issue'), values: { subject: '', preheader: '', body: '' }, errors: {} });
    },

    /** POST /admin/newsletter (and /api/admin/newsletter): a new draft. */
    async create(req: Request, res: Response) {
      let input: IssueInput;
      try {
        input = inputOf(req.body);
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        res.status(400);
        return renderAdmin(res, 'newsletter-issues/new', { title: 'New newsletter issue', crumbs: crumbs('New issue'), values: req.body ?? {}, errors: err.fields ?? {}, error: err.message });
      }
      const row = await issues.create(input, actorOf(req));
      done(req, res, { redirect: `/admin/newsletter/${row.id}#preview`, message: 'Draft saved. Check the preview, send yourself a test, then send or schedule it.', json: { issue: apiIssue(row) }, status: 201 });
    },

    /** GET /admin/newsletter/:id */
    async page(req: Request, res: Response) {
      await issuePage(res, idOf(req));
    },

    /** POST /admin/newsletter/:id (PUT /api/admin/newsletter/:id): saves the text (draft or scheduled only). */
    async update(req: Request, res: Response) {
      const id = idOf(req);
      let input: IssueInput;
      try {
        input = inputOf(req.body);
      } catch (err) {
        if (!(err instanceof ValidationError) || req.originalUrl.startsWith('/api/')) throw err;
        res.status(400);
        return issuePage(res, id, { values: req.body ?? {}, errors: err.fields ?? {}, error: err.message });
      }
      const row = await issues.update(id, input, actorOf(req));
      done(req, res, { redirect: `/admin/newsletter/${id}#preview`, message: 'Saved. The preview shows the new text.', json: { issue: apiIssue(row) } });
    },

    /**
     * GET /admin/newsletter/:id/preview: the email as a subscriber gets it, for the page's
     * sandboxed iframe. Its own policy: inline styles (mail has no style sheets), no scripts.
     */
    async preview(req: Request, res: Response) {
      const d = await issues.get(idOf(req));
      res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; frame-ancestors 'self'; sandbox");
      res.type('html').send(d.preview.html);
    },

    /** POST /admin/newsletter/:id/test: a copy to the signed-in admin only, marked [Test]. */
    async sendTest(req: Request, res: Response) {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      await act(req, res, id, async () => {
        const r = await issues.sendTest(id, actorOf(req));
        return { message: `A test copy is on its way to ${r.to}.`, json: { ok: true, to: r.to } };
      });
    },

    /** POST /admin/newsletter/:id/send: send now (the job starts within a minute). */
    async sendNow(req: Request, res: Response) {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      await act(req, res, id, async () => {
        const row = await issues.sendNow(id, actorOf(req));
        return { message: 'Sending has started. Progress shows here; it continues by itself if the worker restarts.', json: { issue: apiIssue(row) } };
      });
    },

    /** POST /admin/newsletter/:id/schedule {scheduledAt: "YYYY-MM-DDTHH:MM" India time} */
    async schedule(req: Request, res: Response) {
      const id = idOf(req);
      await act(req, res, id, async () => {
        const f = parseInput(scheduleForm, req.body ?? {}, 'Please check the time.');
        const row = await issues.schedule(id, f.scheduledAt, actorOf(req));
        return { message: 'Scheduled. It goes out at the time shown (India time); you can still edit or cancel it.', json: { issue: apiIssue(row) } };
      });
    },

    /** POST /admin/newsletter/:id/cancel: a scheduled issue is called off; one being sent stops. */
    async cancel(req: Request, res: Response) {
      const id = idOf(req);
      parseInput(csrfOnly, req.body ?? {});
      const row = await issues.cancel(id, actorOf(req));
      done(req, res, { redirect: `/admin/newsletter/${id}`, message: row.sent_count ? `Cancelled; ${row.sent_count} had already been sent.` : 'Cancelled. Nothing was sent.', json: { issue: apiIssue(row) } });
    },

    /** POST /admin/deals/:id/campaign: "Email this offer to subscribers" makes a prefilled draft. */
    async fromOffer(req: Request, res: Response) {
      const offerId = idOf(req, 'offer');
      parseInput(csrfOnly, req.body ?? {});
      const row = await issues.createFromOffer(offerId, actorOf(req));
      done(req, res, { redirect: `/admin/newsletter/${row.id}#preview`, message: 'A campaign draft for this offer is ready: check the text and preview, send yourself a test, then send or schedule it.', json: { issue: apiIssue(row) }, status: 201 });
    },

    /** GET /api/admin/newsletter */
    async apiList(req: Request, res: Response) {
      const q = parseInput(listFields.strict(), req.query, 'Please check the query parameters.');
      const result = await issues.list({ before: q.before, pageSize: PAGE_SIZE });
      res.json({ items: result.rows.map(apiIssue), next: result.next ?? null });
    },

    /** GET /api/admin/newsletter/:id */
    async apiGet(req: Request, res: Response) {
      const d = await issues.get(idOf(req));
      res.json({ issue: apiIssue(d.issue), preview: d.preview, problems: d.problems });
    },
  };
}
