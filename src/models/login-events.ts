import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export interface LoginEventRow {
  id: number;
  user_id: number;
  ip: string;
  user_agent: string;
  browser: string | null;
  os: string | null;
  device_type: string;
  method: string;
  /** The sign-in added a user_devices row: the first from this device (and the account's first ever). */
  new_device: boolean;
  created_at: Date;
}

type Handle = Knex | Knex.Transaction;

/** Successful logins (for the admin charts and the account page) and failed attempts. */
export function createLoginEventModel(db: Db) {
  return {
    async recordSuccess(row: Omit<LoginEventRow, 'id' | 'created_at' | 'new_device'> & { created_at?: Date; new_device?: boolean }, trx: Handle = db): Promise<void> {
      await trx('login_events').insert(row);
    },
    /** Whether the user has signed in before (one probe of the (user_id, created_at) index). */
    async anyForUser(userId: number, trx: Handle = db): Promise<boolean> {
      return Boolean(await trx('login_events').where({ user_id: userId }).select(trx.raw('1 AS one')).first());
    },
    async recordFailure(row: { email: string; user_id: number | null; ip: string; reason: string; created_at?: Date }, trx: Handle = db) {
      await trx('login_failures').insert(row);
    },
    async recentForUser(userId: number, limit = 10, trx: Handle = db): Promise<LoginEventRow[]> {
      return (await trx('login_events').where({ user_id: userId }).orderBy('created_at', 'desc').limit(limit)) as LoginEventRow[];
    },
  };
}

export type LoginEventModel = ReturnType<typeof createLoginEventModel>;
