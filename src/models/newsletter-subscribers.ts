import type { Knex } from 'knex';
import type { Readable } from 'node:stream';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export const SUBSCRIBER_STATUSES = ['pending', 'subscribed', 'unsubscribed', 'bounced'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export const SIGNUP_SOURCES = ['footer', 'home', 'page', 'signup'] as const;
export type SignupSource = (typeof SIGNUP_SOURCES)[number];

export type ConsentAction = 'requested' | 'confirmed' | 'unsubscribed' | 'removed';

export interface SubscriberRow {
  id: number;
  email: string;
  status: SubscriberStatus;
  source: SignupSource;
  unsubscribe_nonce: string;
  confirm_token_hash: string | null;
  confirm_expires_at: Date | null;
  created_at: Date;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
  updated_at: Date;
}

/** What the admin list shows of a subscriber (never the nonce or token hash). */
export type SubscriberListRow = Pick<SubscriberRow, 'id' | 'email' | 'status' | 'source' | 'created_at' | 'confirmed_at' | 'unsubscribed_at'>;

export interface ConsentRow {
  id: number;
  subscriber_id: number;
  email: string;
  action: ConsentAction;
  source: string;
  ip: string | null;
  user_agent: string | null;
  consent_text: string;
  consent_version: string;
  actor_id: number | null;
  created_at: Date;
}

export type NewConsentRow = Omit<ConsentRow, 'id' | 'created_at' | 'actor_id'> & { created_at: Date; actor_id?: number | null };

export interface SubscriberFilter {
  /** The beginning of an email address (lower-case). */
  q?: string;
  status?: SubscriberStatus;
}

const LIST_COLUMNS = ['id', 'email', 'status', 'source', 'created_at', 'confirmed_at', 'unsubscribed_at'] as const;

const likePrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Newsletter subscribers and their consent records. Every list walks an index: newest first is
 * id order (the primary key, or (status, id) with a status filter), a search is an email prefix
 * (text_pattern_ops index), and the export streams through a server-side cursor.
 */
export function createNewsletterSubscriberModel(db: Db) {
  function matching(trx: Handle, f: SubscriberFilter) {
    const rows = trx('newsletter_subscribers');
    if (f.status) rows.where('status', f.status);
    // Emails are stored lower-case, so the plain column LIKE uses the text_pattern_ops index.
    if (f.q) rows.whereRaw("email::text LIKE ? ESCAPE '\\'", [likePrefix(f.q)]);
    return rows;
  }

  return {
    async findById(id: number, trx: Handle = db): Promise<SubscriberRow | undefined> {
      return (await trx('newsletter_subscribers').where({ id }).first()) as SubscriberRow | undefined;
    },

    async lockById(id: number, trx: Knex.Transaction): Promise<SubscriberRow | undefined> {
      return (await trx('newsletter_subscribers').where({ id }).forUpdate().first()) as SubscriberRow | undefined;
    },

    async lockByConfirmHash(hash: string, trx: Knex.Transaction): Promise<SubscriberRow | undefined> {
      return (await trx('newsletter_subscribers').where({ confirm_token_hash: hash }).forUpdate().first()) as SubscriberRow | undefined;
    },

    async findByConfirmHash(hash: string, trx: Handle = db): Promise<SubscriberRow | undefined> {
      return (await trx('newsletter_subscribers').where({ confirm_token_hash: hash }).first()) as SubscriberRow | undefined;
    },

    /**
     * The row for an address, created (as `pending`) when new, locked either way: one statement,
     * so two requests racing for the same new address end with one row.
     */
    async upsertLocked(row: Pick<SubscriberRow, 'email' | 'source' | 'unsubscribe_nonce' | 'created_at'>, trx: Knex.Transaction): Promise<{ row: SubscriberRow; created: boolean }> {
      const inserted = (await trx('newsletter_subscribers')
        .insert({ ...row, status: 'pending', updated_at: row.created_at })
        .onConflict('email')
        .ignore()
        .returning('*')) as SubscriberRow[];
      if (inserted[0]) return { row: inserted[0], created: true };
      const existing = (await trx('newsletter_subscribers').where({ email: row.email }).forUpdate().first()) as SubscriberRow;
      return { row: existing, created: false };
    },

    async update(id: number, changes: Partial<Omit<SubscriberRow, 'id' | 'email' | 'created_at'>>, trx: Handle = db): Promise<SubscriberRow> {
      const [row] = await trx('newsletter_subscribers').where({ id }).update(changes).returning('*');
      return row as SubscriberRow;
    },

    async insertConsent(row: NewConsentRow, trx: Handle = db): Promise<void> {
      await trx('newsletter_consents').insert(row);
    },

    async consentsOf(subscriberId: number, limit = 100, trx: Handle = db): Promise<ConsentRow[]> {
      return (await trx('newsletter_consents')
        .where({ subscriber_id: subscriberId })
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(limit)) as ConsentRow[];
    },

    /** One page, newest first, starting below `beforeId` (keyset): an index walk that stops at the page. */
    async list(f: SubscriberFilter, limit: number, beforeId?: number, trx: Handle = db): Promise<SubscriberListRow[]> {
      const rows = matching(trx, f).select(LIST_COLUMNS).orderBy('id', 'desc').limit(limit);
      if (beforeId !== undefined) rows.where('id', '<', beforeId);
      return (await rows) as SubscriberListRow[];
    },

    /** How many subscribers each status has: one grouped index-only scan of (status, id). */
    async countByStatus(trx: Handle = db): Promise<Record<SubscriberStatus, number>> {
      const rows = (await trx('newsletter_subscribers').select('status').count<{ status: SubscriberStatus; n: string }[]>('* as n').groupBy('status')) as unknown as { status: SubscriberStatus; n: string }[];
      const out = { pending: 0, subscribed: 0, unsubscribed: 0, bounced: 0 } as Record<SubscriberStatus, number>;
      for (const r of rows) out[r.status] = Number(r.n);
      return out;
    },

    /**
     * New confirmations per day (in `timeZone`) since `since`, through the confirmed_at index:
     * only that window's rows are read, however large the table.
     */
    async confirmedPerDay(since: Date, timeZone: string, trx: Handle = db): Promise<{ day: string; n: number }[]> {
      const res = await trx.raw(
        `SELECT to_char((confirmed_at AT TIME ZONE ?)::date, 'YYYY-MM-DD') AS day, count(*)::int AS n
         FROM newsletter_subscribers WHERE confirmed_at >= ? GROUP BY 1 ORDER BY 1`,
        [timeZone, since],
      );
      return res.rows as { day: string; n: number }[];
    },

    /**
     * Every matching subscriber, newest first, as a stream of rows read through a server-side
     * cursor (pg-query-stream, 1,000 rows at a time): memory stays flat for a million rows, and
     * the stream's backpressure paces the reads to the client.
     */
    streamAll(f: SubscriberFilter, trx: Handle = db): Readable {
      return matching(trx, f).select(LIST_COLUMNS).orderBy('id', 'desc').stream({ highWaterMark: 1000 }) as unknown as Readable;
    },
  };
}

export type NewsletterSubscriberModel = ReturnType<typeof createNewsletterSubscriberModel>;
