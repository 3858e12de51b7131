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

export function createUserModel(db: Db) {
  return {
    async findById(id: number, trx: Knex | Knex.Transaction = db): Promise<UserRow | undefined> {
      return (await trx('users').where({ id }).first()) as UserRow | undefined;
    },
    /** Emails are citext, so lookups ignore case without lower() in every query. */
    async findByEmail(email: string, trx: Knex | Knex.Transaction = db): Promise<UserRow | undefined> {
      return (await trx('users').where({ email }).first()) as UserRow | undefined;
    },
    async insert(row: NewUser, trx: Knex | Knex.Transaction = db): Promise<UserRow> {
      const [created] = await trx('users').insert(row).returning('*');
      return created as UserRow;
    },
  };
}

export type UserModel = ReturnType<typeof createUserModel>;
