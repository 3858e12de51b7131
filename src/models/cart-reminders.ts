import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type ReminderStep = 1 | 2;
export type OptOutSource = 'one-click' | 'unsubscribe-page';

export interface CartReminderRow {
  id: number;
  cart_id: number;
  user_id: number;
  step: ReminderStep;
  cart_changed_at: Date;
  sent_at: Date;
  outbox_id: number | null;
  item_count: number;
  cart_total_paise: number;
  coupon_code: string | null;
  clicked_at: Date | null;
  recovered_order_id: number | null;
  recovered_at: Date | null;
  recovered_total_paise: number | null;
}

/** A cart whose next reminder is due, with whom to send it to. */
export interface DueCart {
  cart_id: number;
  user_id: number;
  email: string;
  name: string;
  changed_at: Date;
  step: ReminderStep;
}

export interface DueQuery {
  now: Date;
  /** Carts changed before this are not reminded at all (a stale cart, or one from before the feature). */
  oldest: Date;
  firstDelayMs: number;
  secondDelayMs: number;
  /** The least time between a cart's two reminders. */
  gapMs: number;
  /** Reminders sent since this count towards the cap of two. */
  capSince: Date;
  limit: number;
  after?: { changedAt: Date; cartId: number };
}

/** Reminder rows, opt-outs, and the scans the send-cart-reminders job runs. */
export function createCartReminderModel(db: Db) {
  return {
    /**
     * One batch of carts due a reminder, in (changed_at, id) order after `after`: signed-in
     * shoppers (verified, not disabled, not opted out) whose cart has lines, who paid no order
     * since its last change, and whose next step (1 or 2; at most two in the cap window, never
     * the same step twice for one version) is due. An index walk on carts_changed_at_idx within
     * [oldest, now − first delay], each candidate checked by index.
     */
    async due(q: DueQuery, trx: Handle = db): Promise<DueCart[]> {
      const firstCutoff = new Date(q.now.getTime() - q.firstDelayMs);
      const secondCutoff = new Date(q.now.getTime() - q.secondDelayMs);
      const gapCutoff = new Date(q.now.getTime() - q.gapMs);
      const res = await trx.raw(
        `WITH candidates AS (
           SELECT c.id AS cart_id, c.user_id, c.changed_at, u.email, u.name,
                  GREATEST(coalesce(r.recent, 0) + 1, coalesce(r.version_step, 0) + 1) AS step, r.last_sent
           FROM carts c
           JOIN users u ON u.id = c.user_id
           LEFT JOIN LATERAL (
             SELECT count(*)::int AS recent,
                    max(x.step) FILTER (WHERE x.cart_changed_at = c.changed_at) AS version_step,
                    max(x.sent_at) AS last_sent
             FROM cart_reminders x WHERE x.cart_id = c.id AND x.sent_at > ?
           ) r ON true
           WHERE c.changed_at > ? AND c.changed_at <= ?
             AND (c.changed_at, c.id) > (?::timestamptz, ?::int)
             AND u.email_verified_at IS NOT NULL AND u.disabled_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM cart_reminder_opt_outs o WHERE o.user_id = c.user_id)
             AND EXISTS (SELECT 1 FROM cart_items i WHERE i.cart_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = c.user_id AND o.paid_at IS NOT NULL AND o.paid_at >= c.changed_at)
         )
         SELECT cart_id, user_id, changed_at, email, name, step FROM candidates
         WHERE (step = 1) OR (step = 2 AND changed_at <= ? AND (last_sent IS NULL OR last_sent <= ?))
         ORDER BY changed_at, cart_id
         LIMIT ?`,
        [q.capSince, q.oldest, firstCutoff, q.after?.changedAt ?? new Date(0), q.after?.cartId ?? 0, secondCutoff, gapCutoff, q.limit],
      );
      return (res.rows as (Omit<DueCart, 'step'> & { step: number })[]).map((r) => ({ ...r, step: r.step as ReminderStep }));
    },

    /**
     * Claims a reminder: the row for (cart, version, step), or nothing if another worker (or an
     * earlier run) already has it. Inside the transaction that queues the mail.
     */
    async claim(row: Pick<CartReminderRow, 'cart_id' | 'user_id' | 'step' | 'cart_changed_at' | 'sent_at' | 'item_count' | 'cart_total_paise' | 'coupon_code'>, trx: Knex.Transaction): Promise<number | undefined> {
      const [created] = await trx('cart_reminders').insert(row).onConflict(['cart_id', 'cart_changed_at', 'step']).ignore().returning('id');
      return (created as { id: number } | undefined)?.id;
    },

    async setOutbox(id: number, outboxId: number, trx: Handle = db): Promise<void> {
      await trx('cart_reminders').where({ id }).update({ outbox_id: outboxId });
    },

    async findById(id: number, trx: Handle = db): Promise<CartReminderRow | undefined> {
      const row = (await trx('cart_reminders').where({ id }).first()) as (CartReminderRow & { id: string | number; outbox_id: string | number | null }) | undefined;
      return row ? { ...row, id: Number(row.id), outbox_id: row.outbox_id === null ? null : Number(row.outbox_id) } : undefined;
    },

    /** Records the first click of a reminder's link; later clicks keep the first time. */
    async markClicked(id: number, at: Date, trx: Handle = db): Promise<void> {
      await trx('cart_reminders').where({ id }).whereNull('clicked_at').update({ clicked_at: at });
    },

    /**
     * Marks reminders recovered: each reminder sent since `since` and not yet matched gets its
     * user's first paid order within `windowMs` after it was sent. One statement; returns the
     * number of rows marked.
     */
    async markRecovered(since: Date, windowMs: number, trx: Handle = db): Promise<number> {
      const res = await trx.raw(
        `WITH matched AS (
           SELECT r.id, o.id AS order_id, o.paid_at, o.total_paise
           FROM cart_reminders r
           CROSS JOIN LATERAL (
             SELECT id, paid_at, total_paise FROM orders o
             WHERE o.user_id = r.user_id AND o.paid_at IS NOT NULL AND o.paid_at > r.sent_at AND o.paid_at <= r.sent_at + (? * interval '1 millisecond')
             ORDER BY o.paid_at, o.id LIMIT 1
           ) o
           WHERE r.recovered_order_id IS NULL AND r.sent_at > ?
         )
         UPDATE cart_reminders r SET recovered_order_id = m.order_id, recovered_at = m.paid_at, recovered_total_paise = m.total_paise
         FROM matched m WHERE r.id = m.id AND r.recovered_order_id IS NULL`,
        [windowMs, since],
      );
      return res.rowCount ?? 0;
    },

    async ofCart(cartId: number, trx: Handle = db): Promise<CartReminderRow[]> {
      return (await trx('cart_reminders').where({ cart_id: cartId }).orderBy('sent_at')) as CartReminderRow[];
    },

    async isOptedOut(userId: number, trx: Handle = db): Promise<boolean> {
      return Boolean(await trx('cart_reminder_opt_outs').where({ user_id: userId }).first('user_id'));
    },

    /** Turns reminders off for a user; true if this call did it (idempotent). */
    async optOut(userId: number, source: OptOutSource, at: Date, trx: Handle = db): Promise<boolean> {
      const rows = await trx('cart_reminder_opt_outs').insert({ user_id: userId, source, created_at: at }).onConflict('user_id').ignore().returning('user_id');
      return rows.length > 0;
    },

    async optIn(userId: number, trx: Handle = db): Promise<boolean> {
      return (await trx('cart_reminder_opt_outs').where({ user_id: userId }).delete()) > 0;
    },
  };
}

export type CartReminderModel = ReturnType<typeof createCartReminderModel>;
