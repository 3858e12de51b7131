import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export function createRecoveryCodeModel(db: Db) {
  return {
    /** Replaces all of a user's codes with new ones (hashes only). */
    async replace(userId: number, hashes: string[], trx: Handle = db): Promise<void> {
      await trx('recovery_codes').where({ user_id: userId }).delete();
      if (hashes.length) await trx('recovery_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash })));
    },
    /** Marks a code used if it belongs to the user and is unused; returns whether it did. */
    async consume(userId: number, hash: string, at: Date, trx: Handle = db): Promise<boolean> {
      const n = await trx('recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: at });
      return n === 1;
    },
    async countUnused(userId: number, trx: Handle = db): Promise<number> {
      const [row] = await trx('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ count: number }[]>('* as count');
      return Number(row?.count ?? 0);
    },
    async deleteAll(userId: number, trx: Handle = db): Promise<void> {
      await trx('recovery_codes').where({ user_id: userId }).delete();
    },
  };
}

export type RecoveryCodeModel = ReturnType<typeof createRecoveryCodeModel>;
