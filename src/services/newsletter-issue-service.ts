import type { Knex } from 'knex';
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { formatINR } from '../lib/money.js';
import { formatDate, formatDateTime } from '../lib/view-helpers.js';
import type { AuditEntity } from '../models/audit-log.js';
import type { CategoryModel } from '../models/categories.js';
import type { ClaimedSend, IssueListRow, IssueRow, NewsletterIssueModel } from '../models/newsletter-issues.js';
import type { NewsletterSubscriberModel } from '../models/newsletter-subscribers.js';
import type { OfferModel, OfferRow } from '../models/offers.js';
import type { Actor, AuditService } from './audit-service.js';
import { renderEmail, type MailService } from './mail-service.js';
import type { NewsletterService } from './newsletter-service.js';
import type { Limiter } from './rate-limits.js';

/**
 * Newsletter issues and offer campaigns: written in Markdown (rendered, then sanitised to a small
 * allowlist), previewed, test-sent to the admin, then sent now or at a time (India time) to every
 * confirmed subscriber by the `send-newsletter` job.
 *
 * Delivery guarantee. Each recipient has one row in newsletter_sends (issue, subscriber). A
 * sender claims one row at a time in a committed statement that moves it to 'sending' (SKIP
 * LOCKED: concurrent senders take different rows), then calls SMTP with no transaction open,
 * then records 'sent' (or 'bounced' / retry) in one statement. A row left in 'sending' longer
 * than the lease belongs to a sender that died between claiming and recording; it goes back to
 * 'pending' and is sent again. So the engine is at-least-once, and a duplicate is possible only
 * for a message the SMTP server accepted in the last moment before the sender died (the window
 * between the server's "250 OK" and our UPDATE, one database round trip: at most one message per
 * lane per crash, the RFC 1047 window every MTA has). Every copy of a (issue, subscriber) mail
 * carries the same Message-ID, so receivers that de-duplicate (Gmail does) show one. A message
 * that died before the server's 250 was discarded by the server (RFC 5321 §4.1.1.4: an
 * unfinished DATA is not delivered), so re-sending it is what makes the copy arrive at all.
 * We chose this over at-most-once (never re-send a 'sending' row) because that would silently
 * drop up to one recipient per lane on every deploy or crash, while the duplicate case needs a
 * crash inside a millisecond window; the big ESPs (SES, SendGrid, Postmark) are at-least-once too.
 */

/** Audit rows for issues (the audit model's list of entities does not name it yet). */
const ISSUE_ENTITY = 'newsletter_issue' as AuditEntity;

export const MAX_BODY_CHARS = 50_000;
/** Subscribers copied into the send list per statement (a million subscribers: 200 statements). */
const MATERIALISE_BATCH = 5_000;
/** 4xx and network failures are tried this many times, with growing waits, then given up. */
const MAX_ATTEMPTS = 5;
const retryDelayMs = (attempts: number) => Math.min(2 ** (attempts - 1) * 60_000, 60 * 60_000);

// --- Markdown ----------------------------------------------------------------------------------

const marked = new Marked({ gfm: true, breaks: false });

/**
 * Markdown → HTML safe to put in an email and on an admin page: headings, paragraphs, links
 * (http, https, mailto; relative ones made absolute; rel="noopener"), emphasis, lists, quotes,
 * code, rules, and images from https or our own /media. Everything else (script, style, iframe,
 * event handlers, javascript: URLs, raw HTML attributes) is dropped.
 */
export function renderMarkdown(md: string, baseUrl: string): string {
  const raw = marked.parse(md, { async: false });
  const absolute = (url: string) => (url.startsWith('/') && !url.startsWith('//') ? `${baseUrl}${url}` : url);
  const clean = sanitizeHtml(raw, {
    allowedTags: ['h1', 'h2', 'h3', 'h4', 'p', 'br', 'a', 'strong', 'em', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre', 'img', 'hr'],
    allowedAttributes: { a: ['href', 'rel'], img: ['src', 'alt', 'width', 'height'] },
    allowedSchemes: [],
    allowedSchemesByTag: { a: ['http', 'https', 'mailto'], img: baseUrl.startsWith('http:') ? ['https', 'http'] : ['https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...(attribs.href ? { href: absolute(attribs.href) } : {}), rel: 'noopener' } }),
      // Images only from https or our /media (made absolute: mail clients have no base URL).
      img: (tagName, attribs) => {
        const src = attribs.src ?? '';
        const ok = /^https:\/\//i.test(src) || src.startsWith('/media/');
        return { tagName, attribs: { ...attribs, src: ok ? absolute(src) : '' } };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
  // Mail clients ignore style sheets: images must not overflow a phone.
  return clean.replace(/<img /g, '<img style="max-width:100%;height:auto;" ');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

/** The plain-text part from the sanitised HTML: links as "text (url)", blocks as paragraphs. */
export function htmlToText(html: string): string {
  return html
    .replace(/<a [^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g, (_m, href: string, text: string) => `${text} (${href})`)
    .replace(/<img [^>]*alt="([^"]*)"[^>]*>/g, '[$1]')
    .replace(/<li>/g, '- ')
    .replace(/<hr ?\/?>/g, '\n----\n')
    .replace(/<br ?\/?>/g, '\n')
    .replace(/<\/(p|h[1-4]|li|blockquote|pre|ul|ol)>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z0-9]+);/gi, (m, e: string) => (e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') && e !== '#39' ? String.fromCodePoint(Number(e.slice(1))) : (ENTITIES[e] ?? m)))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// --- the service -------------------------------------------------------------------------------

export interface IssueInput {
  subject: string;
  preheader: string;
  body: string;
}

export interface NewsletterIssueDeps {
  db: Db;
  issues: NewsletterIssueModel;
  subscribers: NewsletterSubscriberModel;
  offers: OfferModel;
  categories: CategoryModel;
  newsletter: NewsletterService;
  mail: MailService;
  audit: AuditService;
  testLimiter: Limiter;
  clock: Clock;
  logger: Logger;
  settings: {
    baseUrl: string;
    storeName: string;
    /** Most mails a minute (all lanes together). */
    ratePerMinute: number;
    /** SMTP calls in flight at once. */
    concurrency: number;
    /** How long a 'sending' row may stay so before it counts as its dead sender's, ms. */
    leaseMs: number;
  };
}

/** The list's and the page's view of an issue's progress. */
export function progressOf(i: Pick<IssueRow, 'recipient_count' | 'sent_count' | 'failed_count' | 'bounced_count' | 'skipped_count'>) {
  return { recipients: i.recipient_count, sent: i.sent_count, failed: i.failed_count, bounced: i.bounced_count, skipped: i.skipped_count, pending: Math.max(0, i.recipient_count - i.sent_count - i.failed_count - i.bounced_count - i.skipped_count) };
}

export function createNewsletterIssueService(deps: NewsletterIssueDeps) {
  const { db, issues, clock, settings, logger } = deps;
  const host = new URL(settings.baseUrl).hostname;
  const EDITABLE = ['draft', 'scheduled'];

  const describe = (i: Pick<IssueRow, 'id' | 'subject'>) => `issue #${i.id} “${i.subject}”`;

  async function mustGet(id: number, trx?: Knex.Transaction): Promise<IssueRow> {
    const row = trx ? await issues.lockById(id, trx) : await issues.findById(id);
    if (!row) throw new NotFoundError('There is no such newsletter issue.');
    return row;
  }

  /** The email of an issue, for one recipient's unsubscribe link. */
  async function renderIssue(issue: Pick<IssueRow, 'subject' | 'preheader' | 'body_md'>, unsubscribeUrl: string, extra: Record<string, unknown> = {}, bodyHtml = renderMarkdown(issue.body_md, settings.baseUrl)) {
    return renderEmail('newsletter-issue', { storeName: settings.storeName, baseUrl: settings.baseUrl, subject: issue.subject, preheader: issue.preheader, bodyHtml, bodyText: htmlToText(bodyHtml), unsubscribeUrl, ...extra });
  }

  /** The bulk-mail headers of one recipient's copy (RFC 2369, RFC 2919, RFC 8058). */
  function headersFor(issueId: number, s: ClaimedSend): Record<string, string> {
    return {
      ...deps.newsletter.listHeaders({ id: s.subscriber_id, unsubscribe_nonce: s.unsubscribe_nonce }),
      'List-Id': `${settings.storeName.replace(/[<>"\r\n]/g, '')} newsletter <newsletter.${host}>`,
      Precedence: 'bulk',
      // Gmail's feedback loop groups complaints by issue.
      'Feedback-ID': `${issueId}:newsletter:${host}`,
      // The same for every copy of this recipient's mail: a re-send after a crash is recognisable.
      'Message-ID': `<newsletter-${issueId}-${s.subscriber_id}@${host}>`,
    };
  }

  function checkSendable(issue: IssueRow) {
    if (!EDITABLE.includes(issue.status)) throw new ConflictError(`This issue is ${issue.status}; it cannot be sent again. Duplicate its text into a new issue instead.`, 'ISSUE_NOT_EDITABLE');
    if (!issue.subject.trim() || !issue.body_md.trim()) throw new ValidationError('Write a subject and a body before sending.', { ...(issue.body_md.trim() ? {} : { body: 'Write the newsletter first.' }), ...(issue.subject.trim() ? {} : { subject: 'Give the issue a subject.' }) });
  }

  // --- the sending engine ----------------------------------------------------------------------

  /** Spaces sends `60 000 / rate` ms apart across every lane. */
  function pacer(ratePerMinute: number) {
    const gap = 60_000 / Math.max(1, ratePerMinute);
    let next = Date.now();
    return async () => {
      const now = Date.now();
      const at = Math.max(now, next);
      next = at + gap;
      if (at > now) await new Promise((r) => setTimeout(r, at - now));
    };
  }

  async function sendOne(issue: IssueRow, bodyHtml: string, s: ClaimedSend): Promise<'sent' | 'bounced' | 'retry' | 'failed'> {
    const unsubscribeUrl = deps.newsletter.unsubscribeUrl({ id: s.subscriber_id, unsubscribe_nonce: s.unsubscribe_nonce });
    const rendered = await renderIssue(issue, unsubscribeUrl, {}, bodyHtml);
    try {
      await deps.mail.sendDirect({ to: s.email, subject: issue.subject, html: rendered.html, text: rendered.text, headers: headersFor(issue.id, s) });
    } catch (err) {
      const code = Number((err as { responseCode?: number }).responseCode);
      const message = String((err as Error).message ?? err);
      const now = clock.now();
      if (code >= 500 && code < 600) {
        // A permanent refusal: this address gets nothing more from us until it signs up again.
        await db.transaction(async (trx) => {
          await issues.finish(issue.id, s.subscriber_id, { status: 'bounced', at: now, error: message }, trx);
          await trx('newsletter_subscribers').where({ id: s.subscriber_id, status: 'subscribed' }).update({ status: 'bounced', updated_at: now });
        });
        logger.info({ issueId: issue.id, subscriberId: s.subscriber_id, code }, 'newsletter address bounced');
        return 'bounced';
      }
      const final = s.attempts >= MAX_ATTEMPTS;
      await issues.finish(issue.id, s.subscriber_id, final ? { status: 'failed', at: now, error: message } : { status: 'pending', at: now, error: message, nextAttemptAt: new Date(now.getTime() + retryDelayMs(s.attempts)) });
      logger.warn({ err, issueId: issue.id, subscriberId: s.subscriber_id, attempts: s.attempts }, final ? 'newsletter mail failed for good' : 'newsletter mail failed; will retry');
      return final ? 'failed' : 'retry';
    }
    // If this UPDATE is lost (crash, database gone) the row stays 'sending' and is sent again
    // after the lease: the at-least-once window described at the top of this file.
    if (!(await issues.finish(issue.id, s.subscriber_id, { status: 'sent', at: clock.now() }))) logger.warn({ issueId: issue.id, subscriberId: s.subscriber_id }, 'newsletter mail sent after its row was released; it may go out twice');
    return 'sent';
  }

  /** Copies the issue's recipients into its send list (once; resumes from its cursor). */
  async function materialise(issueId: number, deadline: number): Promise<boolean> {
    for (;;) {
      const r = await db.transaction((trx) => issues.materialiseBatch(issueId, MATERIALISE_BATCH, clock.now(), trx));
      if (r.done) return true;
      if (Date.now() > deadline) return false;
    }
  }

  /** Sends one issue's due rows until none is left or the time is up. */
  async function sendIssue(issueId: number, deadline: number, pace: () => Promise<void>): Promise<number> {
    const issue = await issues.findById(issueId);
    if (!issue || issue.status !== 'sending') return 0;
    const bodyHtml = renderMarkdown(issue.body_md, settings.baseUrl);
    let sent = 0;
    const lane = async () => {
      while (Date.now() < deadline) {
        await pace();
        const claimed = await issues.claimNext(issueId, clock.now());
        if (!claimed) return;
        if (claimed.status === 'skipped') continue;
        if ((await sendOne(issue, bodyHtml, claimed)) === 'sent') sent++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, settings.concurrency) }, lane));
    return sent;
  }

  return {
    renderIssue,

    /**
     * One run of the `send-newsletter` job: starts scheduled issues whose time has come, then
     * works through every issue being sent (copy its recipients, take back rows of dead
     * senders, send at the configured rate) until `budgetMs` is spent. Safe to run from several
     * workers at once: starting is one guarded UPDATE, the copy runs under the issue's row lock
     * with ON CONFLICT DO NOTHING, and each send row is claimed by exactly one sender.
     */
    async tick(opts: { budgetMs?: number } = {}): Promise<{ started: number[]; sent: number; sending: number[]; finished: number[] }> {
      const deadline = Date.now() + (opts.budgetMs ?? 50_000);
      const started = await issues.startDue(clock.now());
      const pace = pacer(settings.ratePerMinute);
      const sending = await issues.sendingIds();
      const finished: number[] = [];
      let sent = 0;
      for (const id of sending) {
        if (Date.now() > deadline) break;
        const copied = await materialise(id, deadline);
        const released = await issues.releaseStale(id, new Date(clock.now().getTime() - settings.leaseMs), clock.now());
        if (released) logger.warn({ issueId: id, released }, 'newsletter sends interrupted mid-send (a worker died); sending them again');
        sent += await sendIssue(id, deadline, pace);
        if (copied && (await issues.finishIfDone(id, clock.now()))) {
          finished.push(id);
          logger.info({ issueId: id }, 'newsletter issue sent');
        }
      }
      return { started, sent, sending, finished };
    },

    // --- the admin side ------------------------------------------------------------------------

    async list(f: { before?: number; pageSize: number }): Promise<{ rows: (IssueListRow & { progress: ReturnType<typeof progressOf> })[]; next?: number }> {
      const rows = await issues.list(f.pageSize + 1, f.before);
      const more = rows.length > f.pageSize;
      const page = (more ? rows.slice(0, f.pageSize) : rows).map((r) => ({ ...r, id: Number(r.id), progress: progressOf(r) }));
      return { rows: page, next: more ? page.at(-1)!.id : undefined };
    },

    /** The issue, its preview (the email as a subscriber gets it), progress, problems and history. */
    async get(id: number) {
      const issue = await mustGet(id);
      const [preview, problems, history, offer] = await Promise.all([
        renderIssue(issue, `${settings.baseUrl}/newsletter/unsubscribe?token=preview`),
        issues.recentProblems(id),
        deps.audit.forEntity(ISSUE_ENTITY, id),
        issue.offer_id ? deps.offers.findById(issue.offer_id) : Promise.resolve(undefined),
      ]);
      return { issue: { ...issue, id: Number(issue.id) }, preview, progress: progressOf(issue), problems, history, offer };
    },

    /** The preview of text not saved yet (the editor's Preview button). */
    preview: (input: IssueInput) => renderIssue({ subject: input.subject, preheader: input.preheader, body_md: input.body }, `${settings.baseUrl}/newsletter/unsubscribe?token=preview`),

    async create(input: IssueInput, actor: Actor, extra: { kind?: 'newsletter' | 'offer'; offerId?: number } = {}): Promise<IssueRow> {
      return db.transaction(async (trx) => {
        const now = clock.now();
        const row = await issues.insert({ kind: extra.kind ?? 'newsletter', offer_id: extra.offerId ?? null, subject: input.subject, preheader: input.preheader, body_md: input.body, created_by: actor.id, created_at: now, updated_at: now }, trx);
        await deps.audit.record(trx, actor, { action: 'newsletter_issue.create', entity: ISSUE_ENTITY, id: Number(row.id), summary: `Created ${describe(row)}${extra.offerId ? ` from offer #${extra.offerId}` : ''}`, after: { subject: row.subject, preheader: row.preheader, kind: row.kind } });
        return { ...row, id: Number(row.id) };
      });
    },

    async update(id: number, input: IssueInput, actor: Actor): Promise<IssueRow> {
      return db.transaction(async (trx) => {
        const before = await mustGet(id, trx);
        if (!EDITABLE.includes(before.status)) throw new ConflictError(`This issue is ${before.status}; it can no longer be edited.`, 'ISSUE_NOT_EDITABLE');
        const row = await issues.update(id, { subject: input.subject, preheader: input.preheader, body_md: input.body, updated_at: clock.now() }, trx);
        await deps.audit.record(trx, actor, { action: 'newsletter_issue.update', entity: ISSUE_ENTITY, id, summary: `Edited ${describe(row)}`, before: { subject: before.subject, preheader: before.preheader, body: before.body_md }, after: { subject: row.subject, preheader: row.preheader, body: row.body_md } });
        return row;
      });
    },

    /** "Email this offer to subscribers": a draft campaign prefilled from the offer. */
    async createFromOffer(offerId: number, actor: Actor): Promise<IssueRow> {
      const offer = await deps.offers.findById(offerId);
      if (!offer) throw new NotFoundError('There is no such offer.');
      const category = offer.scope === 'categories' && offer.category_ids.length === 1 ? await deps.categories.findById(offer.category_ids[0]!) : undefined;
      const draft = offerDraft(offer, { baseUrl: settings.baseUrl, categorySlug: category?.slug, categoryName: category?.name });
      return this.create(draft, actor, { kind: 'offer', offerId });
    },

    /** "Send a test to me": this admin's address only, subject marked [Test], throttled per admin. */
    async sendTest(id: number, actor: Actor): Promise<{ to: string }> {
      const issue = await mustGet(id);
      await deps.testLimiter.hit(String(actor.id));
      const bodyHtml = renderMarkdown(issue.body_md, settings.baseUrl);
      const outboxId = await db.transaction(async (trx) => {
        // Queued (not sent inline): the outbox retries if SMTP is down, and the request does not wait.
        const mailId = await deps.mail.queue('newsletter-issue', actor.email, `[Test] ${issue.subject}`, { preheader: issue.preheader, bodyHtml, bodyText: htmlToText(bodyHtml), unsubscribeUrl: `${settings.baseUrl}/newsletter`, testCopy: true }, trx);
        await deps.audit.record(trx, actor, { action: 'newsletter_issue.test', entity: ISSUE_ENTITY, id, summary: `Sent a test of ${describe(issue)} to ${actor.email}` });
        return mailId;
      });
      deps.mail.sendSoon([outboxId]);
      return { to: actor.email };
    },

    /** "Send now": the job starts it within a minute. */
    async sendNow(id: number, actor: Actor): Promise<IssueRow> {
      return db.transaction(async (trx) => {
        const issue = await mustGet(id, trx);
        checkSendable(issue);
        const now = clock.now();
        const row = await issues.update(id, { status: 'sending', started_at: now, scheduled_at: null, updated_at: now }, trx);
        await deps.audit.record(trx, actor, { action: 'newsletter_issue.send', entity: ISSUE_ENTITY, id, summary: `Started sending ${describe(issue)}`, before: { status: issue.status }, after: { status: 'sending' } });
        return row;
      });
    },

    /** "Schedule": sent by the job once `at` has come (stored as an instant; typed in India time). */
    async schedule(id: number, at: Date, actor: Actor): Promise<IssueRow> {
      if (at.getTime() <= clock.now().getTime() + 60_000) throw new ValidationError('Choose a time at least a minute from now.', { scheduledAt: 'Choose a time in the future (India time), or use Send now.' });
      return db.transaction(async (trx) => {
        const issue = await mustGet(id, trx);
        checkSendable(issue);
        const row = await issues.update(id, { status: 'scheduled', scheduled_at: at, updated_at: clock.now() }, trx);
        await deps.audit.record(trx, actor, { action: 'newsletter_issue.schedule', entity: ISSUE_ENTITY, id, summary: `Scheduled ${describe(issue)} for ${formatDateTime(at)} IST`, before: { status: issue.status, scheduled_at: issue.scheduled_at }, after: { status: 'scheduled', scheduled_at: at } });
        return row;
      });
    },

    /** Cancels a scheduled issue, or stops one being sent (what went out stays sent). */
    async cancel(id: number, actor: Actor): Promise<IssueRow> {
      return db.transaction(async (trx) => {
        const issue = await mustGet(id, trx);
        if (issue.status !== 'scheduled' && issue.status !== 'sending') throw new ConflictError(`Only a scheduled issue or one being sent can be cancelled; this one is ${issue.status}.`, 'ISSUE_NOT_CANCELLABLE');
        const now = clock.now();
        const row = await issues.update(id, { status: 'cancelled', cancelled_at: now, updated_at: now }, trx);
        await deps.audit.record(trx, actor, { action: 'newsletter_issue.cancel', entity: ISSUE_ENTITY, id, summary: `Cancelled ${describe(issue)}${issue.status === 'sending' ? ` after ${issue.sent_count} sent` : ''}`, before: { status: issue.status }, after: { status: 'cancelled' } });
        return row;
      });
    },
  };
}

/** The prefilled campaign of an offer: name, discount, code, dates in India time, link to shop. */
export function offerDraft(offer: OfferRow, o: { baseUrl: string; categorySlug?: string; categoryName?: string }): IssueInput {
  const off = offer.discount_type === 'percent' ? `${offer.amount}% off` : `${formatINR(offer.amount)} off`;
  const where = o.categorySlug ? `${o.categoryName}` : offer.scope === 'all' ? 'everything in the shop' : 'selected products';
  const link = `${o.baseUrl}/products${o.categorySlug ? `?category=${encodeURIComponent(o.categorySlug)}` : ''}`;
  const lines = [
    `## ${offer.name}: ${off} ${offer.scope === 'all' ? 'everything' : o.categorySlug ? o.categoryName : 'selected products'}`,
    '',
    ...(offer.banner_text ? [offer.banner_text, ''] : []),
    offer.kind === 'coupon' && offer.code ? `Use the code **${offer.code}** at checkout to get ${off}${offer.discount_type === 'fixed' ? ' your order' : ''} on ${where}.` : `${off} ${where}: the discount applies by itself, no code needed.`,
    '',
    ...(offer.min_cart_paise ? [`On orders of ${formatINR(offer.min_cart_paise)} or more.`, ''] : []),
    `The offer runs from **${formatDateTime(offer.starts_at)}** to **${formatDateTime(offer.ends_at)}** (India time).`,
    '',
    `[Shop the offer](${link})`,
  ];
  return { subject: `${offer.name}: ${off}`.slice(0, 150), preheader: `Until ${formatDate(offer.ends_at)}${offer.code ? ` with the code ${offer.code}` : ''}`.slice(0, 200), body: lines.join('\n') };
}

export type NewsletterIssueService = ReturnType<typeof createNewsletterIssueService>;

/** The field limits the controller checks (kept next to the rules that use them). */
export const ISSUE_LIMITS = { subject: 150, preheader: 200, body: MAX_BODY_CHARS };
