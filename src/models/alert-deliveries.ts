import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type AlertChannel = 'discord' | 'slack';
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'given_up';

export interface AlertDeliveryRow {
  id: number;
  alert_id: number;
  channel: AlertChannel;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  claimed_until: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

/** One row per alert and channel: each channel is retried on its own. */
export function createAlertDeliveryModel(db: Db) {
  return {
    async insertMany(rows: { alert_id: number; channel: AlertChannel; next_attempt_at: Date; created_at: Date }[], trx: Handle = db): Promise<void> {
      if (rows.length) await trx('alert_deliveries').insert(rows).onConflict(['alert_id', 'channel']).ignore();
    },

    /**
     * Claims the channel's delivery that is due soonest (or whose sender's claim ran out), for
     * `leaseMs`. SKIP LOCKED plus the claim means two workers never send the same message.
     */
    async claimNext(channel: AlertChannel, now: Date, leaseMs: number, trx: Handle = db): Promise<AlertDeliveryRow | undefined> {
      const res = await trx.raw(
        `UPDATE alert_deliveries SET claimed_until = ?
         WHERE id = (
           SELECT id FROM alert_deliveries
           WHERE channel = ? AND status IN ('pending', 'failed') AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
           ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [new Date(now.getTime() + leaseMs), channel, now, now],
      );
      return (res.rows as AlertDeliveryRow[])[0];
    },

    /** Records the outcome of a claimed delivery and releases the claim. */
    async finish(id: number, change: Partial<Pick<AlertDeliveryRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_status_code' | 'last_error' | 'delivered_at'>>, trx: Handle = db): Promise<void> {
      await trx('alert_deliveries').where({ id }).update({ ...change, claimed_until: null });
    },

    async forAlerts(ids: number[], trx: Handle = db): Promise<AlertDeliveryRow[]> {
      if (!ids.length) return [];
      return (await trx('alert_deliveries').whereIn('alert_id', ids).orderBy('id')) as AlertDeliveryRow[];
    },

    /** When the channel may be used again (a 429 told us to wait), if that is still ahead. */
    async blockedUntil(channel: AlertChannel, trx: Handle = db): Promise<Date | undefined> {
      const row = (await trx('alert_channels').where({ channel }).first('blocked_until')) as { blocked_until: Date | null } | undefined;
      return row?.blocked_until ?? undefined;
    },

    /** Stores "not before" for the channel (never moving an existing one earlier). */
    async block(channel: AlertChannel, until: Date, now: Date, trx: Handle = db): Promise<void> {
      await trx.raw(
        `INSERT INTO alert_channels (channel, blocked_until, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET blocked_until = GREATEST(COALESCE(alert_channels.blocked_until, EXCLUDED.blocked_until), EXCLUDED.blocked_until), updated_at = EXCLUDED.updated_at`,
        [channel, until, now],
      );
    },

    /** Moves the channel's waiting deliveries to its "not before" instant (they are not tried earlier). */
    async postponeChannel(channel: AlertChannel, until: Date, trx: Handle = db): Promise<void> {
      await trx('alert_deliveries').where({ channel }).whereIn('status', ['pending', 'failed']).where('next_attempt_at', '<', until).update({ next_attempt_at: until });
    },

    async channels(trx: Handle = db): Promise<{ channel: AlertChannel; blocked_until: Date | null }[]> {
      return (await trx('alert_channels').select('channel', 'blocked_until')) as { channel: AlertChannel; blocked_until: Date | null }[];
    },
  };
}

export type AlertDeliveryModel = ReturnType<typeof createAlertDeliveryModel>;
