import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { decryptSecret, encryptSecret, UnknownKeyError } from '../lib/crypto-box.js';
import { AppError, ConflictError, ValidationError } from '../lib/errors.js';
import { codeHash, sha256Hex, sixDigitCode } from '../lib/tokens.js';
import type { UserRow } from '../models/users.js';
import { TOKEN_TTL_MS, type AccountDeps } from './account-context.js';
import type { AuthService } from './auth-service.js';

/**
 * Second factors: TOTP (authenticator apps; otpauth, ±1 step, each step accepted once), codes by
 * email (6 digits, 10 minutes, 5 tries per sign-in, a resend keeps the count), and recovery codes
 * (shown once, stored hashed, single use). Turning a method on or off needs the password.
 */

const PERIOD_MS = 30_000;
const EMAIL_CODE_TRIES = 5;
const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newRecoveryCode(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}
const normalizeRecovery = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, '');

const INVALID_CODE = 'That code is not correct or has expired.';

export function createTwoFactorService(d: AccountDeps & { auth: AuthService }) {
  const { db, users, clock, settings } = d;
  const key = settings.dataKeys;

  const totpFor = (user: Pick<UserRow, 'email'>, secretBase32: string) =>
    new TOTP({ issuer: settings.storeName, label: user.email, algorithm: 'SHA1', digits: 6, period: PERIOD_MS / 1000, secret: Secret.fromBase32(secretBase32) });

  /** The 30-second step a code belongs to, if it is valid now (±1 step), else null. */
  function totpStep(user: UserRow, encrypted: string, code: string): number | null {
    const now = clock.now().getTime();
    let secret: string;
    try {
      secret = decryptSecret(key, encrypted);
    } catch (err) {
      if (!(err instanceof UnknownKeyError)) throw err;
      // The store's key changed without keeping the old one: say so instead of a 500.
      throw new AppError(409, 'TOTP_UNREADABLE', 'We cannot check authenticator codes for this account right now. Use a recovery code or the emailed code, or ask support to reset two-step sign-in.');
    }
    const delta = totpFor(user, secret).validate({ token: code, timestamp: now, window: 1 });
    return delta === null ? null : Math.floor(now / PERIOD_MS) + delta;
  }

  async function issueRecoveryCodes(userId: number, trx: Knex | Knex.Transaction = db): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await d.recoveryCodes.replace(userId, codes.map((c) => sha256Hex(normalizeRecovery(c))), trx);
    return codes;
  }

  /** Recovery codes come with the first method; later methods keep the existing ones. */
  async function codesIfFirstMethod(user: UserRow, trx: Knex.Transaction): Promise<string[] | undefined> {
    if (user.totp_enabled_at || user.email_otp_enabled_at) return undefined;
    return issueRecoveryCodes(user.id, trx);
  }

  return {
    async status(userId: number) {
      const user = await users.findById(userId);
      return {
        totp: Boolean(user?.totp_enabled_at),
        email: Boolean(user?.email_otp_enabled_at),
        recoveryCodesLeft: user ? await d.recoveryCodes.countUnused(userId) : 0,
        setupPending: Boolean(user?.totp_pending_secret_enc && !user.totp_enabled_at),
      };
    },

    /** A new TOTP secret to scan; it takes effect only once a code from it is confirmed. */
    async startTotpSetup(userId: number): Promise<{ secret: string; uri: string; qrDataUrl: string }> {
      const user = await users.findById(userId);
      if (!user) throw new AppError(401, 'UNAUTHORIZED', 'Please sign in to continue.');
      if (user.totp_enabled_at) throw new ConflictError('An authenticator app is already set up. Turn it off first to set up a new one.', 'TOTP_ALREADY_ENABLED');
      const secret = new Secret({ size: 20 }).base32;
      await users.update(userId, { totp_pending_secret_enc: encryptSecret(key, secret) });
      const uri = totpFor(user, secret).toString();
      return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 240, errorCorrectionLevel: 'M' }) };
    },

    /** Confirms the pending secret with a code and the password; returns recovery codes if new. */
    async enableTotp(userId: number, password: string, code: string): Promise<{ recoveryCodes?: string[] }> {
      const user = await d.auth.verifyUserPassword(userId, password);
      if (user.totp_enabled_at) throw new ConflictError('An authenticator app is already set up.', 'TOTP_ALREADY_ENABLED');
      if (!user.totp_pending_secret_enc) throw new ValidationError('Start the set-up first to get a QR code.', { code: 'Start the set-up first.' });
      const step = totpStep(user, user.totp_pending_secret_enc, code);
      if (step === null) throw new ValidationError(INVALID_CODE, { code: 'That code does not match. Check the time on your phone and try the newest code.' });
      // The method and its recovery codes change together or not at all.
      const recoveryCodes = await db.transaction(async (trx) => {
        const codes = await codesIfFirstMethod(user, trx);
        await users.update(userId, { totp_secret_enc: user.totp_pending_secret_enc, totp_pending_secret_enc: null, totp_enabled_at: clock.now(), totp_last_step: step }, trx);
        return codes;
      });
      return { recoveryCodes };
    },

    async disableTotp(userId: number, password: string): Promise<void> {
      const user = await d.auth.verifyUserPassword(userId, password);
      await db.transaction(async (trx) => {
        await users.update(userId, { totp_secret_enc: null, totp_pending_secret_enc: null, totp_enabled_at: null, totp_last_step: null }, trx);
        if (!user.email_otp_enabled_at) await d.recoveryCodes.deleteAll(userId, trx);
      });
    },

    async enableEmailOtp(userId: number, password: string): Promise<{ recoveryCodes?: string[] }> {
      const user = await d.auth.verifyUserPassword(userId, password);
      if (user.email_otp_enabled_at) return {};
      const recoveryCodes = await db.transaction(async (trx) => {
        const codes = await codesIfFirstMethod(user, trx);
        await users.update(userId, { email_otp_enabled_at: clock.now() }, trx);
        return codes;
      });
      return { recoveryCodes };
    },

    async disableEmailOtp(userId: number, password: string): Promise<void> {
      const user = await d.auth.verifyUserPassword(userId, password);
      await db.transaction(async (trx) => {
        await users.update(userId, { email_otp_enabled_at: null }, trx);
        if (!user.totp_enabled_at) await d.recoveryCodes.deleteAll(userId, trx);
      });
    },

    async regenerateRecoveryCodes(userId: number, password: string): Promise<string[]> {
      const user = await d.auth.verifyUserPassword(userId, password);
      if (!user.totp_enabled_at && !user.email_otp_enabled_at) throw new ConflictError('Turn on two-factor sign-in first.', 'TWO_FACTOR_OFF');
      return issueRecoveryCodes(userId);
    },

    /**
     * Emails a sign-in code. The first call of a sign-in creates its challenge; a resend gives a
     * new code on the same challenge, keeping its count of wrong tries. Returns the challenge id.
     */
    async sendLoginCode(userId: number, challengeId: number | undefined): Promise<number> {
      const user = await users.findById(userId);
      if (!user?.email_otp_enabled_at) throw new ConflictError('Codes by email are not turned on for this account.', 'EMAIL_OTP_OFF');
      await d.limits.resendEmail.hit(`otp:${userId}`);
      const code = sixDigitCode();
      const expires_at = new Date(clock.now().getTime() + TOKEN_TTL_MS.email_otp);
      const result = await db.transaction(async (trx) => {
        let id = challengeId;
        if (id !== undefined) {
          const row = (await trx('user_tokens').where({ id, user_id: userId, purpose: 'email_otp' }).forUpdate().first()) as { used_at: Date | null } | undefined;
          if (!row || row.used_at) throw new AppError(429, 'CODE_ATTEMPTS_EXHAUSTED', 'Too many wrong codes. Please sign in again.');
          await d.tokens.update(id, { token_hash: codeHash(key.current, `${id}:${code}`), expires_at }, trx);
        } else {
          await d.tokens.invalidateAll(userId, 'email_otp', clock.now(), trx);
          // The hash needs the row id (so equal codes of two users never collide on the unique
          // index); insert with a placeholder, then set it.
          const row = await d.tokens.insert({ user_id: userId, purpose: 'email_otp', token_hash: sha256Hex(`pending:${Math.random()}:${Date.now()}`), expires_at }, trx);
          id = row.id;
          await d.tokens.update(id, { token_hash: codeHash(key.current, `${id}:${code}`) }, trx);
        }
        const outboxId = await d.mail.queue('email-otp', user.email, `Your ${settings.storeName} sign-in code` /* never the code itself: subjects are kept and shown in notifications */, { name: user.name, code }, trx);
        return { id, outboxId };
      });
      d.mail.sendSoon([result.outboxId]);
      return result.id;
    },

    /**
     * Checks a second-factor code at sign-in: a TOTP code, an emailed code (for the challenge
     * given) or a recovery code. Returns the method used, or throws 401/429.
     */
    async verifyLoginCode(userId: number, rawCode: string, opts: { emailChallengeId?: number; ip: string }): Promise<'totp' | 'email' | 'recovery_code'> {
      const { emailChallengeId, ip } = opts;
      await d.limits.twoFactorUser.check(String(userId));
      const user = await users.findById(userId);
      if (!user) throw new AppError(401, 'UNAUTHORIZED', 'Please sign in again.');
      const code = rawCode.replace(/\s+/g, '');

      if (/^\d{6}$/.test(code)) {
        if (user.totp_enabled_at && user.totp_secret_enc) {
          const step = totpStep(user, user.totp_secret_enc, code);
          if (step !== null && (await users.claimTotpStep(userId, step))) return 'totp';
        }
        if (user.email_otp_enabled_at && emailChallengeId !== undefined) {
          const outcome = await db.transaction(async (trx) => {
            const row = (await trx('user_tokens').where({ id: emailChallengeId, user_id: userId, purpose: 'email_otp' }).forUpdate().first()) as
              | { id: number; token_hash: string; used_at: Date | null; expires_at: Date; attempts: number }
              | undefined;
            if (!row || row.used_at) return 'exhausted' as const;
            const now = clock.now();
            if (row.expires_at > now && codeHash(key.current, `${row.id}:${code}`) === row.token_hash) {
              await d.tokens.markUsed(row.id, now, trx);
              return 'ok' as const;
            }
            const attempts = row.attempts + 1;
            await d.tokens.update(row.id, { attempts, ...(attempts >= EMAIL_CODE_TRIES ? { used_at: now } : {}) }, trx);
            return attempts >= EMAIL_CODE_TRIES ? ('exhausted' as const) : ('wrong' as const);
          });
          if (outcome === 'ok') return 'email';
          if (outcome === 'exhausted') {
            await this.recordFailedCode(user, ip);
            throw new AppError(429, 'CODE_ATTEMPTS_EXHAUSTED', 'Too many wrong codes. Please sign in again to get a new code.');
          }
        }
      } else if (normalizeRecovery(code).length === 10) {
        if (await d.recoveryCodes.consume(userId, sha256Hex(normalizeRecovery(code)), clock.now())) return 'recovery_code';
      }
      await this.recordFailedCode(user, ip);
      throw new AppError(401, 'INVALID_CODE', INVALID_CODE);
    },

    async recordFailedCode(user: UserRow, ip: string): Promise<void> {
      await d.loginEvents.recordFailure({ email: user.email, user_id: user.id, ip, reason: 'bad_2fa_code', created_at: clock.now() });
      await d.limits.twoFactorUser.hit(String(user.id));
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
