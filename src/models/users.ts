import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

export type Role = 'user' | 'admin';

export interface UserRow {
  id: number;
  email: string;
  name: string;
  password_hash: string;
  role: Role;
  email_verified_at: Date | null;
  totp_secret_enc: string | null;
  totp_pending_secret_enc: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: number | null;
  email_otp_enabled_at: Date | null;
  password_changed_at: Date | null;
  /** Set by an admin: the account cannot sign in and its sessions run signed out. */
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewUser {
  email: string;
  name: string;
  password_hash: string;
  role?: Role;
  email_verified_at?: Date | null;
}

type Handle = Knex | Knex.Transaction;

export function createUserModel(db: Db) {
  return {
    async findById(id: number, trx: Handle = db): Promise<UserRow | undefined> {
      return (await trx('users').where({ id }).first()) as UserRow | undefined;
    },
    /**
     * The signed-in user a request runs as, with the number of licences in their cart for the
     * page header: one round trip where two would run on every signed-in page.
     */
    async findSessionUser(id: number, trx: Handle = db): Promise<(UserRow & { cart_count: number }) | undefined> {
      return (await trx('users as u')
        .where('u.id', id)
        .select('u.*', trx.raw('(SELECT coalesce(sum(i.quantity), 0) FROM carts c JOIN cart_items i ON i.cart_id = c.id WHERE c.user_id = u.id)::int AS cart_count'))
        .first()) as (UserRow & { cart_count: number }) | undefined;
    },
    /** Emails are citext, so lookups ignore case without lower() in every query. */
    async findByEmail(email: string, trx: Handle = db): Promise<UserRow | undefined> {
      return (await trx('users').where({ email }).first()) as UserRow | undefined;
    },
    /** Inserts unless the email exists; returns undefined then (the caller must not reveal which). */
    async insertIfNew(row: NewUser, trx: Handle = db): Promise<UserRow | undefined> {
      const [created] = await trx('users').insert(row).onConflict('email').ignore().returning('*');
      return created as UserRow | undefined;
    },
    async insert(row: NewUser, trx: Handle = db): Promise<UserRow> {
      const [created] = await trx('users').insert(row).returning('*');
      return created as UserRow;
    },
    async update(id: number, changes: Partial<Omit<UserRow, 'id' | 'created_at'>>, trx: Handle = db): Promise<void> {
      await trx('users').where({ id }).update({ ...changes, updated_at: trx.fn.now() });
    },
    /**
     * Records a TOTP step as used, only if it is later than the last one: two requests racing with
     * the same code cannot both succeed. Returns whether this call won.
     */
    async claimTotpStep(id: number, step: number, trx: Handle = db): Promise<boolean> {
      const n = await trx('users')
        .where({ id })
        .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
        .update({ totp_last_step: step });
      return n === 1;
    },
  };
}

export type UserModel = ReturnType<typeof createUserModel>;
