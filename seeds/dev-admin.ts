import type { Db } from '../src/db/knex.js';
import { hashPassword, verifyPassword } from '../src/lib/passwords.js';

/**
 * Makes sure the development admin exists with the configured password (never run in production).
 * Returns whether the account was created or its password reset to the configured one.
 */
export async function ensureDevAdmin(db: Db, admin: { email: string; password: string }): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = (await db('users').where({ email: admin.email }).first()) as { id: number; password_hash: string; role: string } | undefined;
  if (!existing) {
    await db('users')
      .insert({ email: admin.email, name: 'Store Admin', password_hash: await hashPassword(admin.password), role: 'admin', email_verified_at: db.fn.now() })
      .onConflict('email')
      .ignore();
    return 'created';
  }
  if (existing.role === 'admin' && (await verifyPassword(existing.password_hash, admin.password))) return 'unchanged';
  await db('users')
    .where({ id: existing.id })
    .update({ role: 'admin', password_hash: await hashPassword(admin.password), updated_at: db.fn.now() });
  return 'updated';
}
