import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export const ISSUE_STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'cancelled'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];
export type IssueKind = 'newsletter' | 'offer';
export type SendStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'bounced' | 'skipped';

export interface IssueRow {
  id: number;
  kind: IssueKind;
  offer_id: number | null;
  subject: string;
  preheader: string;
  body_md: string;
  status: IssueStatus;
  scheduled_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  cancelled_at: Date | null;
  materialised_upto: number;
  materialised_at: Date | null;
  recipient_count: number;
  sent_count: number;
  failed_count: number;
  bounced_count: number;
  skipped_count: number;
  created_by: number | null;
  created_at: Date;
  updated_at: Date;
}

/** What the list shows: everything but the body. */
export type IssueListRow = Omit<IssueRow, 'body_md' | 'preheader' | 'materialised_upto' | 'created_by'>;
const LIST_COLUMNS = ['id', 'kind', 'offer_id', 'subject', 'status', 'scheduled_at', 'started_at', 'finished_at', 'cancelled_at', 'materialised_at', 'recipient_count', 'sent_count', 'failed_count', 'bounced_count', 'skipped_count', 'created_at', 'updated_at'] as const;

/** One claimed send: the row, and the subscriber it goes to (with what signs their unsubscribe link). */
export interface ClaimedSend {
  issue_id: number;
  subscriber_id: number;
  status: 'sending' | 'skipped';
  attempts: number;
  email: string;
  unsubscribe_nonce: string;
}

const COUNTER: Partial<Record<SendStatus, string>> = { sent: 'sent_count', failed: 'failed_count', bounced: 'bounced_count', skipped: 'skipped_count' };

export function createNewsletterIssueModel(db: Db) {
  return {
    async findById(id: number, trx: Handle = db): Promise<IssueRow | undefined> {
      return (await trx('newsletter_issues').where({ id }).first()) as IssueRow | undefined;
    },

    async lockById(id: number, trx: Knex.Transaction): Promise<IssueRow | undefined> {
      return (await trx('newsletter_issues').where({ id }).forUpdate().first()) as IssueRow | undefined;
    },

    async insert(row: Pick<IssueRow, 'kind' | 'offer_id' | 'subject' | 'preheader' | 'body_md' | 'created_by' | 'created_at' | 'updated_at'>, trx: Handle = db): Promise<IssueRow> {
      const [created] = await trx('newsletter_issues').insert(row).returning('*');
      return created as IssueRow;
    },

    async update(id: number, changes: Partial<Omit<IssueRow, 'id'>>, trx: Handle = db): Promise<IssueRow> {
      const [row] = await trx('newsletter_issues').where({ id }).update(changes).returning('*');
      return row as IssueRow;
    },

    /** One page, newest first, below `beforeId` (keyset on the primary key). */
    async list(limit: number, beforeId?: number, trx: Handle = db): Promise<IssueListRow[]> {
      const q = trx('newsletter_issues').select(LIST_COLUMNS).orderBy('id', 'desc').limit(limit);
      if (beforeId !== undefined) q.where('id', '<', beforeId);
      return (await q) as IssueListRow[];
    },

    /** Scheduled issues whose time has come become 'sending' (one statement: two workers cannot both start one). */
    async startDue(now: Date, trx: Handle = db): Promise<number[]> {
      const rows = (await trx('newsletter_issues').where({ status: 'scheduled' }).where('scheduled_at', '<=', now).update({ status: 'sending', started_at: now, updated_at: now }).returning('id')) as { id: number }[];
      return rows.map((r) => Number(r.id));
    },

    async sendingIds(trx: Handle = db): Promise<number[]> {
      const rows = (await trx('newsletter_issues').where({ status: 'sending' }).orderBy('id').select('id')) as { id: number }[];
      return rows.map((r) => Number(r.id));
    },

    /**
     * Copies the next `batch` confirmed subscribers (by id, after the issue's cursor) into its
     * send rows, under the issue's row lock, and moves the cursor; ON CONFLICT makes a repeat
     * harmless. Returns how many subscribers the batch read (fewer than `batch`: the copy is done).
     */
    async materialiseBatch(issueId: number, batch: number, now: Date, trx: Knex.Transaction): Promise<{ read: number; done: boolean }> {
      const issue = await trx('newsletter_issues').where({ id: issueId }).forUpdate().first('materialised_upto', 'materialised_at', 'status');
      if (!issue || issue.materialised_at || issue.status !== 'sending') return { read: 0, done: true };
      const res = await trx.raw(
        `WITH picked AS (
           SELECT id FROM newsletter_subscribers WHERE status = 'subscribed' AND id > ? ORDER BY id LIMIT ?
         ), ins AS (
           INSERT INTO newsletter_sends (issue_id, subscriber_id, status, next_attempt_at)
           SELECT ?, id, 'pending', ? FROM picked
           ON CONFLICT DO NOTHING RETURNING 1
         )
         SELECT (SELECT count(*) FROM picked)::int AS read, (SELECT max(id) FROM picked) AS upto, (SELECT count(*) FROM ins)::int AS inserted`,
        [issue.materialised_upto, batch, issueId, now],
      );
      const { read, upto, inserted } = res.rows[0] as { read: number; upto: string | null; inserted: number };
      const done = read < batch;
      await trx('newsletter_issues')
        .where({ id: issueId })
        .update({
          materialised_upto: upto === null ? issue.materialised_upto : Number(upto),
          recipient_count: trx.raw('recipient_count + ?', [inserted]),
          ...(done ? { materialised_at: now } : {}),
          updated_at: now,
        });
      return { read, done };
    },

    /**
     * Send rows left in 'sending' since before `staleBefore` (their worker died mid-send) go
     * back to 'pending': they are sent again (at-least-once; see the service).
     */
    async releaseStale(issueId: number, staleBefore: Date, now: Date, trx: Handle = db): Promise<number> {
      return trx('newsletter_sends').where({ issue_id: issueId, status: 'sending' }).where('sending_since', '<', staleBefore).update({ status: 'pending', next_attempt_at: now, sending_since: null, error: 'interrupted mid-send; sending again' });
    },

    /**
     * Claims the next due send of a sending issue, in one committed statement: the row is locked
     * with SKIP LOCKED (a concurrent sender takes the next one), checked against the subscriber's
     * current status and moved to 'sending' (or 'skipped' if they left the list since, counted).
     */
    async claimNext(issueId: number, now: Date, trx: Handle = db): Promise<ClaimedSend | undefined> {
      const res = await trx.raw(
        `WITH next AS (
           SELECT s.issue_id, s.subscriber_id FROM newsletter_sends s
           JOIN newsletter_issues i ON i.id = s.issue_id AND i.status = 'sending'
           WHERE s.issue_id = ? AND s.status = 'pending' AND s.next_attempt_at <= ?
           ORDER BY s.subscriber_id LIMIT 1 FOR UPDATE OF s SKIP LOCKED
         ), claimed AS (
           UPDATE newsletter_sends s
           SET status = CASE WHEN sub.status = 'subscribed' THEN 'sending' ELSE 'skipped' END,
               attempts = s.attempts + CASE WHEN sub.status = 'subscribed' THEN 1 ELSE 0 END,
               sending_since = ?, error = CASE WHEN sub.status = 'subscribed' THEN s.error ELSE 'subscriber is ' || sub.status END
           FROM next, newsletter_subscribers sub
           WHERE s.issue_id = next.issue_id AND s.subscriber_id = next.subscriber_id AND sub.id = s.subscriber_id
           RETURNING s.issue_id, s.subscriber_id, s.status, s.attempts, sub.email, sub.unsubscribe_nonce
         ), counted AS (
           UPDATE newsletter_issues SET skipped_count = skipped_count + 1
           WHERE id = (SELECT issue_id FROM claimed WHERE status = 'skipped')
         )
         SELECT * FROM claimed`,
        [issueId, now, now],
      );
      const row = res.rows[0] as ClaimedSend | undefined;
      return row ? { ...row, issue_id: Number(row.issue_id), subscriber_id: Number(row.subscriber_id) } : undefined;
    },

    /**
     * Records a send's outcome and counts it on the issue, in one statement; only a row still
     * 'sending' changes (a row released and re-claimed elsewhere is not counted twice).
     */
    async finish(issueId: number, subscriberId: number, outcome: { status: 'sent' | 'failed' | 'bounced' | 'pending'; at: Date; error?: string; nextAttemptAt?: Date }, trx: Handle = db): Promise<boolean> {
      const counter = COUNTER[outcome.status];
      const res = await trx.raw(
        `WITH done AS (
           UPDATE newsletter_sends SET status = ?, sent_at = ?, error = ?, next_attempt_at = COALESCE(?, next_attempt_at), sending_since = NULL
           WHERE issue_id = ? AND subscriber_id = ? AND status = 'sending' RETURNING 1
         )${counter ? `, counted AS (UPDATE newsletter_issues SET ${counter} = ${counter} + (SELECT count(*) FROM done) WHERE id = ?)` : ''}
         SELECT count(*)::int AS n FROM done`,
        [outcome.status, outcome.status === 'sent' ? outcome.at : null, outcome.error?.slice(0, 500) ?? null, outcome.nextAttemptAt ?? null, issueId, subscriberId, ...(counter ? [issueId] : [])],
      );
      return (res.rows[0] as { n: number }).n > 0;
    },

    /** Whether any send of the issue is still to do (pending or in flight). */
    async hasWork(issueId: number, trx: Handle = db): Promise<{ pending: boolean; nextAttemptAt?: Date }> {
      const row = (await trx('newsletter_sends').where({ issue_id: issueId }).whereIn('status', ['pending', 'sending']).min<{ at: Date | null }>('next_attempt_at as at').first()) as { at: Date | null } | undefined;
      return row?.at ? { pending: true, nextAttemptAt: new Date(row.at) } : { pending: false };
    },

    /** The issue is done when its copy is complete and nothing is left to send: one guarded statement. */
    async finishIfDone(issueId: number, now: Date, trx: Handle = db): Promise<boolean> {
      const n = await trx('newsletter_issues')
        .where({ id: issueId, status: 'sending' })
        .whereNotNull('materialised_at')
        .whereNotExists(trx('newsletter_sends').where({ issue_id: issueId }).whereIn('status', ['pending', 'sending']).select(trx.raw('1')))
        .update({ status: 'sent', finished_at: now, updated_at: now });
      return n > 0;
    },

    /** How many sends the issue has in each status (the issue page; one index range). */
    async sendCounts(issueId: number, trx: Handle = db): Promise<Record<SendStatus, number>> {
      const rows = (await trx('newsletter_sends').where({ issue_id: issueId }).select('status').count('* as n').groupBy('status')) as unknown as { status: SendStatus; n: string }[];
      const out: Record<SendStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0, bounced: 0, skipped: 0 };
      for (const r of rows) out[r.status] = Number(r.n);
      return out;
    },

    /** The latest failures of an issue, for its page. */
    async recentProblems(issueId: number, limit = 20, trx: Handle = db): Promise<{ email: string; status: SendStatus; error: string | null; attempts: number }[]> {
      return (await trx('newsletter_sends as s')
        .join('newsletter_subscribers as sub', 'sub.id', 's.subscriber_id')
        .where('s.issue_id', issueId)
        .whereIn('s.status', ['failed', 'bounced'])
        .orderBy('s.subscriber_id')
        .limit(limit)
        .select('sub.email', 's.status', 's.error', 's.attempts')) as { email: string; status: SendStatus; error: string | null; attempts: number }[];
    },
  };
}

export type NewsletterIssueModel = ReturnType<typeof createNewsletterIssueModel>;
