import type { Device } from '../lib/device.js';
import { AppError, ForbiddenError, TooManyRequestsError, UnauthorizedError, ValidationError } from '../lib/errors.js';
import { formatDateTime } from '../lib/view-helpers.js';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../lib/passwords.js';
import type { UserRow } from '../models/users.js';
import { normalizeEmail } from '../lib/email.js';
import { sha256Hex } from '../lib/tokens.js';
import { consumeLinkToken, INVALID_LINK, issueLinkToken, link, linkTokenUsable, twoFactorMethods, type AccountDeps, type TwoFactorMethod } from './account-context.js';

/**
 * Sign-up, email verification, the password step of login, password reset and change. Answers
 * never reveal whether an email has an account: sign-up, resend and forgot-password say the same
 * thing either way, and login fails the same way for a wrong password and an unknown email.
 */

// A real Argon2id hash of a random password, verified against when the email is unknown so an
// unknown email takes as long as a wrong password.
let dummyHash: Promise<string> | undefined;
const timingDummy = () => (dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`));

export interface RequestInfo {
  ip: string;
  userAgent?: string;
}

/** "Chrome on Android": browser and system families, as the new-device email names a device. */
function deviceName(d: Device): string {
  return [d.browserFamily ?? 'An unknown browser', d.osFamily ? `on ${d.osFamily}` : ''].filter(Boolean).join(' ');
}

async function assertGoodPassword(password: string, field = 'password') {
  const problem = await passwordProblem(password);
  if (problem) throw new ValidationError('Please choose a different password.', { [field]: problem });
}

/** `newsletterOptIn`: the opt-in box at sign-up (a double opt-in mail of its own; never fails the sign-up). */
export function createAuthService(d: AccountDeps, hooks: { newsletterOptIn?: (email: string, req: RequestInfo) => Promise<void> } = {}) {
  const { db, users, mail, limits, clock } = d;

  /**
   * Checks a signed-in user's password (before 2FA changes, new recovery codes, a password
   * change). Throttled per account like login, counting first, so a stolen session cannot guess.
   */
  async function verifyUserPassword(userId: number, password: string, field = 'password'): Promise<UserRow> {
    await limits.passwordCheckUser.hit(String(userId));
    const user = await users.findById(userId);
    if (!user) throw new UnauthorizedError();
    if (!(await verifyPassword(user.password_hash, password))) throw new ValidationError('Your password is not correct.', { [field]: 'Your password is not correct.' });
    await limits.passwordCheckUser.refund(String(userId));
    return user;
  }

  async function queueVerification(user: UserRow, trx: Parameters<typeof issueLinkToken>[3]) {
    const token = await issueLinkToken(d, user.id, 'verify_email', trx);
    return mail.queue('verify-email', user.email, `Confirm your email for ${d.settings.storeName}`, { name: user.name, link: link(d, `/verify-email?token=${token}`) }, trx);
  }

  return {
    /** Creates an unverified account and queues its verification email. */
    async signup(input: { email: string; password: string; name: string; newsletter?: boolean }, req: RequestInfo): Promise<void> {
      await limits.signupIp.hit(req.ip);
      await assertGoodPassword(input.password);
      const password_hash = await hashPassword(input.password);
      const outboxIds = await db.transaction(async (trx) => {
        const created = await users.insertIfNew({ email: normalizeEmail(input.email), name: input.name, password_hash, role: 'user' }, trx);
        if (created) return [await queueVerification(created, trx)];
        // The address has an account: tell its owner, not the requester.
        const existing = await users.findByEmail(normalizeEmail(input.email), trx);
        if (!existing) return [];
        return [
          await mail.queue('account-exists', existing.email, `You already have a ${d.settings.storeName} account`, {
            name: existing.name,
            loginLink: link(d, '/login'),
            resetLink: link(d, '/forgot-password'),
          }, trx),
        ];
      });
      mail.sendSoon(outboxIds);
      if (input.newsletter) await hooks.newsletterOptIn?.(input.email, req);
    },

    async verifyEmail(token: string): Promise<void> {
      await db.transaction(async (trx) => {
        const row = await consumeLinkToken(d, 'verify_email', token, trx);
        await users.update(row.user_id, { email_verified_at: clock.now() }, trx);
      });
    },

    /** Sends a new verification link if the address has an unverified account; same answer otherwise. */
    async resendVerification(rawEmail: string, req: RequestInfo): Promise<void> {
      const email = normalizeEmail(rawEmail);
      await limits.resendIp.hit(req.ip);
      await limits.resendEmail.hit(email);
      const ids = await db.transaction(async (trx) => {
        const user = await users.findByEmail(email, trx);
        if (!user || user.email_verified_at) return [];
        await d.tokens.invalidateAll(user.id, 'verify_email', clock.now(), trx);
        return [await queueVerification(user, trx)];
      });
      mail.sendSoon(ids);
    },

    /**
     * The password step of login. Returns the user and the second factors still needed (none:
     * sign in now). Throws 401 for a wrong email or password, 403 for an unverified email, 429
     * after too many failures from this IP for this account.
     */
    async checkPassword(input: { email: string; password: string }, req: RequestInfo): Promise<{ user: UserRow; methods: TwoFactorMethod[] }> {
      const email = normalizeEmail(input.email);
      const accountKey = `${email}|${req.ip}`;
      // Count first, then check: counting is one atomic statement, so concurrent guesses cannot
      // all slip under the limit. A success gives its points back.
      try {
        await limits.loginAccountIp.hit(accountKey);
        await limits.loginIpDay.hit(req.ip);
      } catch (err) {
        // Refused without checking the password: counted as a lockout for the dashboards.
        if (err instanceof TooManyRequestsError) {
          const known = await users.findByEmail(email);
          await d.loginEvents.recordFailure({ email, user_id: known?.id ?? null, ip: req.ip, reason: 'locked_out', created_at: clock.now() });
        }
        throw err;
      }

      const user = await users.findByEmail(email);
      const ok = user ? await verifyPassword(user.password_hash, input.password) : (await verifyPassword(await timingDummy(), input.password), false);
      if (!user || !ok) {
        await d.loginEvents.recordFailure({ email, user_id: user?.id ?? null, ip: req.ip, reason: user ? 'bad_password' : 'unknown_email', created_at: clock.now() });
        throw new AppError(401, 'INVALID_CREDENTIALS', 'Email or password is incorrect.');
      }
      await limits.loginAccountIp.reset(accountKey);
      await limits.loginIpDay.refund(req.ip);
      if (needsRehash(user.password_hash)) await users.update(user.id, { password_hash: await hashPassword(input.password) });
      // Said only after the right password, so the answer reveals nothing to a guesser.
      if (user.disabled_at) throw new ForbiddenError('This account is disabled. Contact support.', 'ACCOUNT_DISABLED');
      if (!user.email_verified_at) {
        throw new ForbiddenError('Please confirm your email address first. We can send the link again.', 'EMAIL_NOT_VERIFIED');
      }
      return { user, methods: twoFactorMethods(user) };
    },

    /**
     * A completed login, for analytics and the account page's recent activity. In one
     * transaction: the device is counted in user_devices, the event records whether that made it
     * a new device, and a sign-in from a new device of an account that signed in before queues
     * a security email (the account's very first sign-in is a new device but sends nothing).
     */
    async recordLogin(user: UserRow, method: string, req: RequestInfo & { device: Device }) {
      const now = clock.now();
      const ids = await db.transaction(async (trx) => {
        const signedInBefore = await d.loginEvents.anyForUser(user.id, trx);
        const { inserted } = await d.userDevices.touch(user.id, req.device, now, trx);
        await d.loginEvents.recordSuccess({
          user_id: user.id,
          ip: req.ip,
          user_agent: (req.userAgent ?? '').slice(0, 512),
          browser: req.device.browser,
          os: req.device.os,
          device_type: req.device.deviceType,
          method,
          new_device: inserted,
          created_at: now,
        }, trx);
        if (!inserted || !signedInBefore) return [];
        return [
          await mail.queue('new-device-sign-in', user.email, `New sign-in to your ${d.settings.storeName} account`, {
            name: user.name,
            device: deviceName(req.device),
            ip: req.ip,
            when: `${formatDateTime(now)} IST`,
            resetLink: link(d, '/forgot-password'),
          }, trx),
        ];
      });
      mail.sendSoon(ids);
    },

    /** Emails a reset link if the account exists; the same answer either way. */
    async forgotPassword(rawEmail: string, req: RequestInfo): Promise<void> {
      const email = normalizeEmail(rawEmail);
      await limits.forgotIp.hit(req.ip);
      await limits.forgotEmail.hit(email);
      const ids = await db.transaction(async (trx) => {
        const user = await users.findByEmail(email, trx);
        if (!user) return [];
        await d.tokens.invalidateAll(user.id, 'reset_password', clock.now(), trx);
        const token = await issueLinkToken(d, user.id, 'reset_password', trx);
        return [await mail.queue('reset-password', user.email, `Reset your ${d.settings.storeName} password`, { name: user.name, link: link(d, `/reset-password?token=${token}`) }, trx)];
      });
      mail.sendSoon(ids);
    },

    /**
     * Sets a new password from a reset link. Signs the user out everywhere and does not sign them
     * in: they log in with the new password (and their second factor, if any).
     */
    async resetPassword(token: string, password: string, req: RequestInfo): Promise<void> {
      await limits.resetIp.hit(req.ip);
      await limits.resetToken.hit(sha256Hex(token));
      // The link is checked before the (deliberately slow) hash: a made-up token costs nothing.
      if (!(await linkTokenUsable(d, 'reset_password', token))) throw new AppError(400, 'INVALID_TOKEN', INVALID_LINK);
      await assertGoodPassword(password);
      const password_hash = await hashPassword(password);
      const ids = await db.transaction(async (trx) => {
        const row = await consumeLinkToken(d, 'reset_password', token, trx);
        const user = await users.findById(row.user_id, trx);
        if (!user) throw new AppError(400, 'INVALID_TOKEN', 'This link is no longer valid.');
        const now = clock.now();
        // Following the emailed link proves the address, so an unverified account becomes verified.
        await users.update(user.id, { password_hash, password_changed_at: now, email_verified_at: user.email_verified_at ?? now }, trx);
        await d.tokens.invalidateAll(user.id, 'reset_password', now, trx);
        await d.sessions.deleteForUser(user.id, undefined, trx);
        return [await mail.queue('password-changed', user.email, `Your ${d.settings.storeName} password was changed`, { name: user.name, resetLink: link(d, '/forgot-password') }, trx)];
      });
      mail.sendSoon(ids);
    },

    /** Changes the password of a signed-in user; other sessions are signed out. */
    async changePassword(userId: number, current: string, next: string, keepSid: string): Promise<void> {
      const user = await verifyUserPassword(userId, current, 'currentPassword');
      await assertGoodPassword(next, 'newPassword');
      const password_hash = await hashPassword(next);
      const ids = await db.transaction(async (trx) => {
        await users.update(user.id, { password_hash, password_changed_at: clock.now() }, trx);
        await d.sessions.deleteForUser(user.id, keepSid, trx);
        return [await mail.queue('password-changed', user.email, `Your ${d.settings.storeName} password was changed`, { name: user.name, resetLink: link(d, '/forgot-password') }, trx)];
      });
      mail.sendSoon(ids);
    },

    async updateProfile(userId: number, changes: { name: string }): Promise<void> {
      await users.update(userId, { name: changes.name });
    },

    async verifyUserExists(userId: number): Promise<UserRow> {
      const user = await users.findById(userId);
      if (!user) throw new UnauthorizedError('Please sign in again.');
      return user;
    },

    verifyUserPassword,

    /** Whether an emailed link can still be used, so its page can say so before anyone types. */
    linkUsable(purpose: 'reset_password' | 'verify_email', token: string): Promise<boolean> {
      return linkTokenUsable(d, purpose, token);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
