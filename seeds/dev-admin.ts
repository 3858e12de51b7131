import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../src/db/knex.js';
import { hashPassword, verifyPassword } from '../src/lib/passwords.js';

export interface DevAdminResult {
  status: 'created' | 'exists' | 'not-admin';
  email: string;
  /** Known only when this folder's saved password still signs in (or the account was just made). */
  password?: string;
}

/** A readable random password: 4 groups of 5 letters and digits (about 100 bits). */
function randomPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(20);
  return Array.from({ length: 4 }, (_, g) => Array.from({ length: 5 }, (_, i) => alphabet[bytes[g * 5 + i]! % alphabet.length]).join('')).join('-');
}

async function readSaved(file: string): Promise<{ email: string; password: string } | undefined> {
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { email?: unknown; password?: unknown };
    return typeof saved.email === 'string' && typeof saved.password === 'string' ? { email: saved.email, password: saved.password } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The development admin (never in production). Created once, with DEV_ADMIN_PASSWORD or a random
 * password saved in `file` (mode 600, in the gitignored data folder), so every newcomer's store
 * has its own. Later starts never reset that account's password and never promote an account
 * that owns the email: they only report what they find.
 */
export async function ensureDevAdmin(db: Db, opts: { email: string; password?: string; file: string }): Promise<DevAdminResult> {
  const saved = await readSaved(opts.file);
  const existing = (await db('users').where({ email: opts.email }).first()) as { id: number; password_hash: string; role: string } | undefined;
  if (existing) {
    if (existing.role !== 'admin') return { status: 'not-admin', email: opts.email };
    const known = saved?.email === opts.email && (await verifyPassword(existing.password_hash, saved.password)) ? saved.password : undefined;
    return { status: 'exists', email: opts.email, password: known };
  }
  const password = opts.password ?? randomPassword();
  const inserted = await db('users')
    .insert({ email: opts.email, name: 'Store Admin', password_hash: await hashPassword(password), role: 'admin', email_verified_at: db.fn.now() })
    .onConflict('email')
    .ignore()
    .returning('id');
  if (!inserted.length) return ensureDevAdmin(db, opts); // made by a parallel start meanwhile
  await mkdir(path.dirname(opts.file), { recursive: true });
  await writeFile(opts.file, `${JSON.stringify({ email: opts.email, password }, null, 2)}\n`, { mode: 0o600 });
  return { status: 'created', email: opts.email, password };
}

/** The start-up line about the dev admin. */
export function describeDevAdmin(r: DevAdminResult, file: string): string {
  if (r.status === 'not-admin') return `Dev admin: ${r.email} belongs to an account that is not an admin; it was left as it is (npm run create-admin promotes one).`;
  if (r.password) return `Dev admin (${r.status === 'created' ? 'created' : 'saved in ' + file}): ${r.email} / ${r.password}  (development only)`;
  return `Dev admin: ${r.email} exists; its password was changed since it was made (npm run create-admin -- --email ${r.email} sets a new one).`;
}
