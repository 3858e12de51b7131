import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export interface SessionSummary {
  sid: string;
  expire: Date;
  sess: { meta?: { ip?: string; device?: string; createdAt?: string } };
}

type Handle = Knex | Knex.Transaction;

/** The session table as a whole (express-session's store handles single sessions). */
export function createSessionModel(db: Db) {
  return {
    /** A user's sessions, most recently active first; at most `limit` (a page shows a handful). */
    async listForUser(userId: number, limit = 50, trx: Handle = db): Promise<SessionSummary[]> {
      return (await trx('session').select('sid', 'expire', 'sess').where({ user_id: userId }).orderBy('expire', 'desc').limit(Math.min(limit, 200))) as SessionSummary[];
    },
    /** Signs a user out everywhere, except the session id given (the one making the request). */
    async deleteForUser(userId: number, exceptSid?: string, trx: Handle = db): Promise<number> {
      const q = trx('session').where({ user_id: userId });
      if (exceptSid) q.whereNot({ sid: exceptSid });
      return q.delete();
    },
    async deleteExpired(before: Date, trx: Handle = db): Promise<number> {
      return trx('session').where('expire', '<', before).delete();
    },
  };
}

export type SessionModel = ReturnType<typeof createSessionModel>;
