import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export type TokenPurpose = 'verify_email' | 'reset_password' | 'email_otp';

export interface UserTokenRow {
  id: number;
  user_id: number;
  purpose: TokenPurpose;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  attempts: number;
  created_at: Date;
}

type Handle = Knex | Knex.Transaction;

/** One-time tokens and codes, stored only as hashes. */
export function createUserTokenModel(db: Db) {
  return {
    async insert(row: { user_id: number; purpose: TokenPurpose; token_hash: string; expires_at: Date }, trx: Handle = db): Promise<UserTokenRow> {
      const [created] = await trx('user_tokens').insert(row).returning('*');
      return created as UserTokenRow;
    },
    async findByHash(purpose: TokenPurpose, hash: string, trx: Handle = db): Promise<UserTokenRow | undefined> {
      return (await trx('user_tokens').where({ purpose, token_hash: hash }).first()) as UserTokenRow | undefined;
    },
    /** The token with this hash and purpose, locked for the caller's transaction. */
    async findByHashForUpdate(purpose: TokenPurpose, hash: string, trx: Knex.Transaction): Promise<UserTokenRow | undefined> {
      return (await trx('user_tokens').where({ purpose, token_hash: hash }).forUpdate().first()) as UserTokenRow | undefined;
    },
    /** The user's current unused token of a purpose (for email codes: one at a time), locked. */
    async findActiveForUpdate(userId: number, purpose: TokenPurpose, trx: Knex.Transaction): Promise<UserTokenRow | undefined> {
      return (await trx('user_tokens').where({ user_id: userId, purpose }).whereNull('used_at').orderBy('id', 'desc').forUpdate().first()) as
        | UserTokenRow
        | undefined;
    },
    async markUsed(id: number, at: Date, trx: Handle = db): Promise<void> {
      await trx('user_tokens').where({ id }).update({ used_at: at });
    },
    async update(id: number, changes: Partial<Pick<UserTokenRow, 'token_hash' | 'expires_at' | 'attempts' | 'used_at'>>, trx: Handle = db) {
      await trx('user_tokens').where({ id }).update(changes);
    },
    /** Voids every unused token of a purpose (a new reset link makes older ones useless). */
    async invalidateAll(userId: number, purpose: TokenPurpose, at: Date, trx: Handle = db): Promise<void> {
      await trx('user_tokens').where({ user_id: userId, purpose }).whereNull('used_at').update({ used_at: at });
    },
    async deleteExpired(before: Date, trx: Handle = db): Promise<number> {
      return trx('user_tokens').where('expires_at', '<', before).delete();
    },
  };
}

export type UserTokenModel = ReturnType<typeof createUserTokenModel>;
