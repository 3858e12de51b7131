import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { KeyRing } from '../lib/crypto-box.js';
import { randomToken, sha256Hex } from '../lib/tokens.js';
import type { LoginEventModel } from '../models/login-events.js';
import type { RecoveryCodeModel } from '../models/recovery-codes.js';
import type { SessionModel } from '../models/sessions.js';
import type { TokenPurpose, UserTokenModel, UserTokenRow } from '../models/user-tokens.js';
import type { UserDeviceModel } from '../models/user-devices.js';
import type { UserModel, UserRow } from '../models/users.js';
import type { MailService } from './mail-service.js';
import type { RateLimits } from './rate-limits.js';

/** What the account services share; built once in deps.ts. */
export interface AccountDeps {
  db: Db;
  users: UserModel;
  tokens: UserTokenModel;
  recoveryCodes: RecoveryCodeModel;
  loginEvents: LoginEventModel;
  /** The devices each user signed in from (login-devices). */
  userDevices: UserDeviceModel;
  sessions: SessionModel;
  mail: MailService;
  limits: RateLimits;
  clock: Clock;
  settings: { baseUrl: string; storeName: string; dataKeys: KeyRing; requireAdmin2fa: boolean };
}

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  reset_password: 3_600_000,
  email_otp: 10 * 60_000,
};

export const INVALID_LINK = 'This link is invalid, was already used or has expired. Ask for a new one.';

/** A fresh single-use link token; only its hash is stored. */
export async function issueLinkToken(d: AccountDeps, userId: number, purpose: TokenPurpose, trx: Knex.Transaction): Promise<string> {
  const token = randomToken();
  await d.tokens.insert({ user_id: userId, purpose, token_hash: sha256Hex(token), expires_at: new Date(d.clock.now().getTime() + TOKEN_TTL_MS[purpose]) }, trx);
  return token;
}

/** Marks a link token used and returns it, or throws 400 INVALID_TOKEN (unknown, used, expired). */
export async function consumeLinkToken(d: AccountDeps, purpose: TokenPurpose, token: string, trx: Knex.Transaction): Promise<UserTokenRow> {
  const row = await d.tokens.findByHashForUpdate(purpose, sha256Hex(token), trx);
  const now = d.clock.now();
  if (!row || row.used_at || row.expires_at <= now) throw new AppError(400, 'INVALID_TOKEN', INVALID_LINK);
  await d.tokens.markUsed(row.id, now, trx);
  return row;
}

/** Whether a link token could still be used (for showing a form, or before slow work); consumes nothing. */
export async function linkTokenUsable(d: AccountDeps, purpose: TokenPurpose, token: string): Promise<boolean> {
  if (token.length < 10 || token.length > 200) return false;
  const row = await d.tokens.findByHash(purpose, sha256Hex(token));
  return Boolean(row && !row.used_at && row.expires_at > d.clock.now());
}

export function link(d: AccountDeps, pathWithQuery: string): string {
  return `${d.settings.baseUrl}${pathWithQuery}`;
}

export type TwoFactorMethod = 'totp' | 'email';

export function twoFactorMethods(u: Pick<UserRow, 'totp_enabled_at' | 'email_otp_enabled_at'>): TwoFactorMethod[] {
  const methods: TwoFactorMethod[] = [];
  if (u.totp_enabled_at) methods.push('totp');
  if (u.email_otp_enabled_at) methods.push('email');
  return methods;
}

/** The user as the API shows it: never hashes or secrets. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    emailVerified: u.email_verified_at !== null,
    twoFactor: twoFactorMethods(u),
  };
}
export type PublicUser = ReturnType<typeof publicUser>;
