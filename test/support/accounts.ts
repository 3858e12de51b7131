import type supertest from 'supertest';
import { Secret, TOTP } from 'otpauth';
import type { Db } from '../../src/db/knex.js';
import { hashPassword } from '../../src/lib/passwords.js';
import type { Role, UserRow } from '../../src/models/users.js';
import type { Clock } from '../../src/lib/clock.js';

type Agent = ReturnType<typeof supertest.agent>;

let n = 0;
export const uniqueEmail = (prefix = 'shopper') => `${prefix}-${process.pid}-${++n}@example.test`;
export const GOOD_PASSWORD = 'correct horse battery staple';

/** A verified account made directly in the database (the sign-up flow has its own tests). */
export async function makeUser(db: Db, over: { email?: string; password?: string; role?: Role; verified?: boolean; name?: string } = {}): Promise<UserRow & { password: string }> {
  const password = over.password ?? GOOD_PASSWORD;
  const [row] = await db('users')
    .insert({
      email: over.email ?? uniqueEmail(),
      name: over.name ?? 'Asha Rao',
      password_hash: await hashPassword(password),
      role: over.role ?? 'user',
      email_verified_at: over.verified === false ? null : new Date(),
    })
    .returning('*');
  return { ...(row as UserRow), password };
}

export async function csrf(agent: Agent): Promise<string> {
  return (await agent.get('/api/auth/csrf').expect(200)).body.csrfToken as string;
}

/** Logs in through the API; returns the response (body has the new csrfToken). */
export async function apiLogin(agent: Agent, email: string, password: string, headers: Record<string, string> = {}) {
  const token = await csrf(agent);
  return agent.post('/api/auth/login').set('X-CSRF-Token', token).set(headers).send({ email, password });
}

export function sidOf(res: { headers: Record<string, unknown> }): string | undefined {
  const cookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  const sid = cookies.find((c) => c.startsWith('sid='));
  return sid ? /^sid=s:([^.;]+)/.exec(decodeURIComponent(sid))?.[1] : undefined;
}

export function totpCode(secret: string, clock: Clock, offsetSteps = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: clock.now().getTime() + offsetSteps * 30_000 });
}
