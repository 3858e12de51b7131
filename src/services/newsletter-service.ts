import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { KeyRing } from '../lib/crypto-box.js';
import { normalizeEmail } from '../lib/email.js';
import { AppError, ConflictError, NotFoundError, TooManyRequestsError } from '../lib/errors.js';
import { randomToken, safeEqual, sha256Hex } from '../lib/tokens.js';
import type { AuditEntity } from '../models/audit-log.js';
import type { ConsentRow, NewsletterSubscriberModel, SignupSource, SubscriberFilter, SubscriberListRow, SubscriberRow, SubscriberStatus } from '../models/newsletter-subscribers.js';
import type { Actor, AuditService } from './audit-service.js';
import { renderEmail, type MailService } from './mail-service.js';
import type { Limiter } from './rate-limits.js';
import { csvCell } from '../lib/csv.js';

/**
 * The newsletter: double opt-in sign-up (footer, home page, the newsletter page, account
 * sign-up), confirmation, one-click unsubscribe (RFC 8058) and the piece campaigns will use to
 * queue one subscriber's mail with its unsubscribe link and headers. Only confirmed addresses
 * are subscribers. Every consent event (asked, confirmed, withdrawn) is kept with its time, IP,
 * source and the words agreed to.
 */

/** How long a confirmation link works. */
export const CONFIRM_TTL_MS = 72 * 3_600_000;

/** What a person agrees to by signing up; stored with each consent row, versioned. */
export const CONSENT_VERSION = '2026-12-01';
export const consentText = (storeName: string) =>
  `Send me the ${storeName} newsletter: new products, offers and creator news, at most twice a month. I can unsubscribe at any time with the link in every issue.`;

export const INVALID_CONFIRM_LINK = 'This confirmation link is invalid, was already used or has expired. Sign up again for a new one.';
export const INVALID_UNSUBSCRIBE_LINK = 'This unsubscribe link is not valid. Please use the link from your most recent email, or contact us and we will remove you.';

/** Entity name of subscriber audit rows (the audit model's list of entities does not name it yet). */
const SUBSCRIBER_ENTITY = 'subscriber' as AuditEntity;

export interface RequestInfo {
  ip: string;
  userAgent?: string;
}

// --- unsubscribe tokens ------------------------------------------------------------------------
// `<subscriber id>.<HMAC-SHA256(key, "unsubscribe:<id>:<nonce>")>`, the key derived from
// DATA_ENCRYPTION_KEY (previous keys still verify), the nonce a random value kept on the row. A
// token cannot be made for another id without the key, and never expires: old mails keep working.

interface UnsubscribeKeys {
  sign: Buffer;
  verify: readonly Buffer[];
}

const deriveKey = (dataKey: Buffer) => Buffer.from(hkdfSync('sha256', dataKey, 'store', 'newsletter-unsubscribe', 32));

export function unsubscribeKeys(ring: KeyRing): UnsubscribeKeys {
  const sign = deriveKey(ring.current);
  return { sign, verify: [sign, ...ring.previous.map(deriveKey)] };
}

const unsubscribeMac = (key: Buffer, id: number, nonce: string) => createHmac('sha256', key).update(`unsubscribe:${id}:${nonce}`).digest('base64url');

export function signUnsubscribe(keys: UnsubscribeKeys, s: Pick<SubscriberRow, 'id' | 'unsubscribe_nonce'>): string {
  return `${s.id}.${unsubscribeMac(keys.sign, s.id, s.unsubscribe_nonce)}`;
}

const TOKEN_SHAPE = /^([1-9]\d{0,15})\.([A-Za-z0-9_-]{43})$/;

/** The id a token claims (not yet verified), or undefined for anything not shaped like one. */
export function unsubscribeTokenId(token: string): number | undefined {
  const m = TOKEN_SHAPE.exec(token);
  const id = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(id) ? id : undefined;
}

/** Whether `token` is this subscriber's, compared in constant time against every key of the ring. */
export function verifyUnsubscribe(keys: UnsubscribeKeys, s: Pick<SubscriberRow, 'id' | 'unsubscribe_nonce'>, token: string): boolean {
  const m = TOKEN_SHAPE.exec(token);
  if (!m || Number(m[1]) !== s.id) return false;
  // Every key is tried (no early exit), so the time does not tell which key matched.
  return keys.verify.map((key) => safeEqual(unsubscribeMac(key, s.id, s.unsubscribe_nonce), m[2]!)).includes(true);
}

// --- CSV ---------------------------------------------------------------------------------------

const CSV_COLUMNS = ['id', 'email', 'status', 'source', 'created_at', 'confirmed_at', 'unsubscribed_at'] as const;

function csvTransform(): Transform {
  let first = true;
  return new Transform({
    writableObjectMode: true,
    transform(row: SubscriberListRow, _enc, cb) {
      const line = `${CSV_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
      if (first) {
        first = false;
        cb(null, `${CSV_COLUMNS.join(',')}\r\n${line}`);
      } else cb(null, line);
    },
    flush(cb) {
      // An empty export still has its header row.
      cb(null, first ? `${CSV_COLUMNS.join(',')}\r\n` : '');
    },
  });
}

// --- the public side ---------------------------------------------------------------------------

export interface NewsletterDeps {
  db: Db;
  subscribers: NewsletterSubscriberModel;
  mail: MailService;
  limits: { ip: Limiter; email: Limiter };
  clock: Clock;
  settings: { baseUrl: string; storeName: string; dataKeys: KeyRing };
}

export function createNewsletterService(deps: NewsletterDeps) {
  const { db, subscribers, mail, clock, settings } = deps;
  const keys = unsubscribeKeys(settings.dataKeys);
  const link = (path: string) => `${settings.baseUrl}${path}`;
  const unsubscribeUrl = (s: Pick<SubscriberRow, 'id' | 'unsubscribe_nonce'>) => link(`/newsletter/unsubscribe?token=${signUnsubscribe(keys, s)}`);
  const clip = (s: string | undefined, n: number) => (s ? s.slice(0, n) : null);

  /** The RFC 2369 / RFC 8058 headers of a mail to this subscriber. */
  const listHeaders = (s: Pick<SubscriberRow, 'id' | 'unsubscribe_nonce'>): Record<string, string> => ({
    'List-Unsubscribe': `<${unsubscribeUrl(s)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  });

  /** Creates or refreshes the address's pending sign-up and queues its mail, in `trx`. */
  async function request(email: string, source: SignupSource, info: RequestInfo, trx: Knex.Transaction): Promise<number> {
    const now = clock.now();
    const { row } = await subscribers.upsertLocked({ email, source, unsubscribe_nonce: randomBytes(16).toString('base64url'), created_at: now }, trx);
    if (row.status === 'subscribed') {
      // Already on the list: tell the address, not the requester (the page says the same either way).
      return mail.queue('newsletter-already', row.email, `You are already subscribed to the ${settings.storeName} newsletter`, { unsubscribeUrl: unsubscribeUrl(row) }, trx, { headers: listHeaders(row) });
    }
    const token = randomToken();
    await subscribers.update(row.id, { confirm_token_hash: sha256Hex(token), confirm_expires_at: new Date(now.getTime() + CONFIRM_TTL_MS), updated_at: now }, trx);
    await subscribers.insertConsent({ subscriber_id: row.id, email: row.email, action: 'requested', source, ip: info.ip || null, user_agent: clip(info.userAgent, 300), consent_text: consentText(settings.storeName), consent_version: CONSENT_VERSION, created_at: now }, trx);
    return mail.queue('newsletter-confirm', row.email, `Confirm your ${settings.storeName} newsletter subscription`, { link: link(`/newsletter/confirm?token=${token}`), hours: CONFIRM_TTL_MS / 3_600_000 }, trx);
  }

  /** The subscriber a valid unsubscribe token names, or a 400 that changes nothing. */
  async function subscriberOfToken(token: string, trx?: Knex.Transaction): Promise<SubscriberRow> {
    const id = unsubscribeTokenId(token);
    const row = id === undefined ? undefined : trx ? await subscribers.lockById(id, trx) : await subscribers.findById(id);
    if (!row || !verifyUnsubscribe(keys, row, token)) throw new AppError(400, 'INVALID_TOKEN', INVALID_UNSUBSCRIBE_LINK);
    return row;
  }

  return {
    unsubscribeUrl,
    listHeaders,

    /**
     * A sign-up from a form: throttled per network and per address (429), then a confirmation
     * mail (or, if already subscribed, a note saying so). The caller answers the same whatever
     * the address's state, so the answer reveals nothing about it.
     */
    async subscribe(input: { email: string; source: SignupSource; honeypot?: string }, info: RequestInfo): Promise<void> {
      const email = normalizeEmail(input.email);
      await deps.limits.ip.hit(info.ip);
      // A form-filling bot (the hidden field is filled): the same answer, and nothing sent.
      if (input.honeypot) return;
      await deps.limits.email.hit(email);
      const id = await db.transaction((trx) => request(email, input.source, info, trx));
      mail.sendSoon([id]);
    },

    /**
     * The opt-in box at account sign-up: the same double opt-in. Never fails the sign-up: over
     * the per-address throttle it sends nothing more.
     */
    async optInAtSignup(rawEmail: string, info: RequestInfo): Promise<void> {
      const email = normalizeEmail(rawEmail);
      try {
        await deps.limits.email.hit(email);
      } catch (err) {
        if (err instanceof TooManyRequestsError) return;
        throw err;
      }
      const id = await db.transaction((trx) => request(email, 'signup', info, trx));
      mail.sendSoon([id]);
    },

    /** Whether a confirmation link is still good (for the page that shows its button); changes nothing. */
    async confirmUsable(token: string): Promise<boolean> {
      if (token.length < 10 || token.length > 200) return false;
      const row = await subscribers.findByConfirmHash(sha256Hex(token));
      return Boolean(row && row.confirm_expires_at && row.confirm_expires_at > clock.now());
    },

    /** Confirms a sign-up (the button behind the mail's link): the address becomes a subscriber. */
    async confirm(token: string, info: RequestInfo): Promise<{ email: string }> {
      return db.transaction(async (trx) => {
        const row = token.length >= 10 && token.length <= 200 ? await subscribers.lockByConfirmHash(sha256Hex(token), trx) : undefined;
        const now = clock.now();
        if (!row || !row.confirm_expires_at || row.confirm_expires_at <= now) throw new AppError(400, 'INVALID_TOKEN', INVALID_CONFIRM_LINK);
        await subscribers.update(row.id, { status: 'subscribed', confirmed_at: now, unsubscribed_at: null, confirm_token_hash: null, confirm_expires_at: null, updated_at: now }, trx);
        await subscribers.insertConsent({ subscriber_id: row.id, email: row.email, action: 'confirmed', source: 'confirm-link', ip: info.ip || null, user_agent: clip(info.userAgent, 300), consent_text: consentText(settings.storeName), consent_version: CONSENT_VERSION, created_at: now }, trx);
        return { email: row.email };
      });
    },

    /** Who an unsubscribe link is for (the page asks before it acts); 400 for a bad token. */
    async unsubscribeTarget(token: string): Promise<{ email: string; status: SubscriberStatus }> {
      const row = await subscriberOfToken(token);
      return { email: row.email, status: row.status };
    },

    /**
     * Unsubscribes the holder of a signed token: the one-click POST (RFC 8058, no session or CSRF
     * token: the signature is the authority) and the page's button. Idempotent.
     */
    async unsubscribe(token: string, info: RequestInfo, source: 'one-click' | 'unsubscribe-page'): Promise<{ email: string; changed: boolean }> {
      return db.transaction(async (trx) => {
        const row = await subscriberOfToken(token, trx);
        if (row.status === 'unsubscribed' || row.status === 'bounced') return { email: row.email, changed: false };
        const now = clock.now();
        await subscribers.update(row.id, { status: 'unsubscribed', unsubscribed_at: now, confirm_token_hash: null, confirm_expires_at: null, updated_at: now }, trx);
        await subscribers.insertConsent({ subscriber_id: row.id, email: row.email, action: 'unsubscribed', source, ip: info.ip || null, user_agent: clip(info.userAgent, 300), consent_text: '', consent_version: '', created_at: now }, trx);
        return { email: row.email, changed: true };
      });
    },

    /**
     * Queues one newsletter or campaign mail to one confirmed subscriber, with the unsubscribe
     * link in its footer and the List-Unsubscribe / List-Unsubscribe-Post headers. Refuses (409)
     * anyone not subscribed. `template` renders with `unsubscribeUrl` added to `data`; the
     * default `newsletter-campaign` takes `heading`, `paragraphs` (plain text) and an optional
     * `cta {href, label}`. Returns the outbox id (the caller or the delivery job sends it).
     */
    async queueNewsletterMail(subscriberId: number, message: { subject: string; template?: string; data?: Record<string, unknown> }, trx?: Knex.Transaction): Promise<number> {
      const row = await subscribers.findById(subscriberId, trx ?? db);
      if (!row) throw new NotFoundError('There is no such subscriber.');
      if (row.status !== 'subscribed') throw new ConflictError('Only confirmed subscribers receive the newsletter.', 'NOT_SUBSCRIBED');
      const template = message.template ?? 'newsletter-campaign';
      const data = { ...message.data, unsubscribeUrl: unsubscribeUrl(row) };
      // A template that forgot the unsubscribe footer (views/emails/newsletter-footer.html.ejs) never goes out.
      const rendered = await renderEmail(template, { storeName: settings.storeName, baseUrl: settings.baseUrl, ...data, subject: message.subject });
      if (!rendered.html.includes(data.unsubscribeUrl) || !rendered.text.includes(data.unsubscribeUrl)) throw new Error(`newsletter template ${template} has no unsubscribe link in its html and text`);
      return mail.queue(template, row.email, message.subject, data, trx, { headers: listHeaders(row) });
    },
  };
}

export type NewsletterService = ReturnType<typeof createNewsletterService>;

// --- the admin side ----------------------------------------------------------------------------

/** Days are counted in India time, like every date the admin area shows. */
const TIME_ZONE = 'Asia/Kolkata';
const GROWTH_DAYS = 30;

const istDay = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

/**
 * Subscribers as the admin sees them: the list (search, status filter, keyset pages), counts per
 * status and 30 days of growth, a subscriber's consent history, manual removal (audited, and a
 * consent row) and a streamed CSV export (audited).
 */
export function createNewsletterAdminService(deps: { db: Db; subscribers: NewsletterSubscriberModel; audit: AuditService; clock: Clock }) {
  const { db, subscribers, audit, clock } = deps;

  return {
    /** Counts per status (one grouped index scan) and new confirmations per day for 30 days. */
    async overview(): Promise<{ counts: Record<SubscriberStatus, number>; total: number; growth: { day: string; n: number }[]; growthTotal: number }> {
      const now = clock.now();
      const days = Array.from({ length: GROWTH_DAYS }, (_, i) => istDay(new Date(now.getTime() - (GROWTH_DAYS - 1 - i) * 86_400_000)));
      // From the first of those days at midnight in India (UTC+5:30, no daylight saving).
      const since = new Date(`${days[0]}T00:00:00+05:30`);
      const [counts, perDay] = await Promise.all([subscribers.countByStatus(), subscribers.confirmedPerDay(since, TIME_ZONE)]);
      const byDay = new Map(perDay.map((r) => [r.day, r.n]));
      const growth = days.map((day) => ({ day, n: byDay.get(day) ?? 0 }));
      return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0), growth, growthTotal: growth.reduce((a, g) => a + g.n, 0) };
    },

    /** One page of `pageSize`, newest first, after the cursor; `next` is the cursor of the following page. */
    async list(f: SubscriberFilter & { before?: number; pageSize: number }): Promise<{ rows: SubscriberListRow[]; next?: number }> {
      const rows = await subscribers.list({ q: f.q, status: f.status }, f.pageSize + 1, f.before);
      const more = rows.length > f.pageSize;
      const page = more ? rows.slice(0, f.pageSize) : rows;
      return { rows: page, next: more ? page.at(-1)!.id : undefined };
    },

    async get(id: number): Promise<{ subscriber: SubscriberListRow; consents: ConsentRow[]; history: Awaited<ReturnType<AuditService['forEntity']>> }> {
      const row = await subscribers.findById(id);
      if (!row) throw new NotFoundError('There is no such subscriber.');
      const [consents, history] = await Promise.all([subscribers.consentsOf(id), audit.forEntity(SUBSCRIBER_ENTITY, id)]);
      const { id: sid, email, status, source, created_at, confirmed_at, unsubscribed_at } = row;
      return { subscriber: { id: sid, email, status, source, created_at, confirmed_at, unsubscribed_at }, consents, history };
    },

    /** Takes an address off the list (it becomes unsubscribed; its consent history stays). */
    async remove(id: number, actor: Actor): Promise<{ email: string; changed: boolean }> {
      return db.transaction(async (trx) => {
        const row = await subscribers.lockById(id, trx);
        if (!row) throw new NotFoundError('There is no such subscriber.');
        if (row.status === 'unsubscribed') return { email: row.email, changed: false };
        const now = clock.now();
        await subscribers.update(id, { status: 'unsubscribed', unsubscribed_at: now, confirm_token_hash: null, confirm_expires_at: null, updated_at: now }, trx);
        await subscribers.insertConsent({ subscriber_id: id, email: row.email, action: 'removed', source: 'admin', ip: actor.ip, user_agent: null, consent_text: '', consent_version: '', actor_id: actor.id, created_at: now }, trx);
        await audit.record(trx, actor, { action: 'subscriber.remove', entity: SUBSCRIBER_ENTITY, id, summary: `Removed ${row.email} from the newsletter`, before: { status: row.status }, after: { status: 'unsubscribed' } });
        return { email: row.email, changed: true };
      });
    },

    /**
     * The matching subscribers as CSV text, streamed from a database cursor (flat memory at a
     * million rows). The export itself is audited first: it hands out personal data.
     */
    async exportCsv(f: SubscriberFilter, actor: Actor): Promise<Readable> {
      await db.transaction((trx) =>
        audit.record(trx, actor, { action: 'subscriber.export', entity: SUBSCRIBER_ENTITY, id: null, summary: `Exported subscribers as CSV${f.status ? ` (${f.status})` : ''}${f.q ? ` matching “${f.q}”` : ''}` }),
      );
      const out = csvTransform();
      // A failed read ends the download with an error; a client that goes away stops the cursor.
      pipeline(subscribers.streamAll(f), out, () => undefined);
      return out;
    },
  };
}

export type NewsletterAdminService = ReturnType<typeof createNewsletterAdminService>;
