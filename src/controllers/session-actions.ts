import type { Request, Response } from 'express';
import type { Clock } from '../lib/clock.js';
import { describeDevice, parseDevice } from '../lib/device.js';
import { AppError } from '../lib/errors.js';
import type { StorePassport } from '../middleware/auth.js';
import type { UserRow } from '../models/users.js';
import type { TwoFactorMethod } from '../services/account-context.js';
import type { AuthService } from '../services/auth-service.js';
import type { TwoFactorService } from '../services/two-factor-service.js';

const PENDING_2FA_MS = 10 * 60_000;

/**
 * The session side of signing in and out, shared by the JSON API and the HTML forms so both
 * behave identically: a new session id at every change of who is signed in, the login recorded.
 */
export function createSessionActions(deps: { passport: StorePassport; auth: AuthService; twoFactor: TwoFactorService; clock: Clock }) {
  const { passport, auth, twoFactor, clock } = deps;
  const info = (req: Request) => ({ ip: req.ip ?? '', userAgent: req.get('user-agent') });

  function regenerate(req: Request): Promise<void> {
    return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  }

  function pending(req: Request) {
    const p = req.session?.pending2fa;
    if (!p || p.expiresAt < clock.now().getTime()) return undefined;
    return p;
  }

  async function signIn(req: Request, user: UserRow, method: string): Promise<void> {
    // passport's logIn regenerates the session: the id a visitor had before login stops working.
    await new Promise<void>((resolve, reject) => req.logIn(user, (err) => (err ? reject(err as Error) : resolve())));
    const device = parseDevice(req.get('user-agent'));
    const now = clock.now();
    req.session.meta = { ip: req.ip ?? '', device: describeDevice(device), createdAt: now.toISOString(), authAt: now.getTime() };
    await auth.recordLogin(user, method, { ...info(req), device });
  }

  return {
    /** The password step. Signs in, or starts the second-factor step; says which. */
    async login(req: Request, res: Response, next?: string): Promise<{ user: UserRow } | { twoFactorRequired: true; methods: TwoFactorMethod[] }> {
      const result = await new Promise<{ user: UserRow; methods: TwoFactorMethod[] }>((resolve, reject) => {
        passport.authenticate('local', { session: false }, (err: unknown, r: { user: UserRow; methods: TwoFactorMethod[] } | false) => {
          if (err) return reject(err);
          if (!r) return reject(new AppError(400, 'VALIDATION_ERROR', 'Enter your email and password.', { email: 'Required.', password: 'Required.' }));
          resolve(r);
        })(req, res, () => undefined);
      });
      if (result.methods.length === 0) {
        await signIn(req, result.user, 'password');
        return { user: result.user };
      }
      await regenerate(req);
      req.session.pending2fa = { userId: result.user.id, methods: result.methods, expiresAt: clock.now().getTime() + PENDING_2FA_MS, next };
      // With email as the only method there is nothing else to use: send the code straight away.
      if (result.methods.length === 1 && result.methods[0] === 'email') {
        req.session.pending2fa.emailChallengeId = await twoFactor.sendLoginCode(result.user.id, undefined);
      }
      return { twoFactorRequired: true, methods: result.methods };
    },

    pending,

    /** The second-factor step; signs in on a correct code. */
    async completeTwoFactor(req: Request, code: string): Promise<{ user: UserRow; next?: string }> {
      const p = pending(req);
      if (!p) throw new AppError(401, 'LOGIN_EXPIRED', 'Your sign-in has expired. Please enter your email and password again.');
      const method = await twoFactor.verifyLoginCode(p.userId, code, { emailChallengeId: p.emailChallengeId, ip: req.ip ?? '' });
      const user = await auth.verifyUserExists(p.userId);
      await signIn(req, user, `password+${method}`);
      return { user, next: p.next };
    },

    /** Sends (or resends) the emailed sign-in code for the pending login. */
    async sendEmailCode(req: Request): Promise<void> {
      const p = pending(req);
      if (!p) throw new AppError(401, 'LOGIN_EXPIRED', 'Your sign-in has expired. Please enter your email and password again.');
      p.emailChallengeId = await twoFactor.sendLoginCode(p.userId, p.emailChallengeId);
    },

    /** Ends the session: its row is deleted and the cookie cleared. */
    async logout(req: Request, res: Response): Promise<void> {
      if (req.session) await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err as Error) : resolve())));
      res.clearCookie('sid', { path: '/' });
    },

    /** A new session id for the same user (after a change of privileges such as 2FA on or off). */
    async rotate(req: Request): Promise<void> {
      const user = req.user;
      if (!user) return;
      const meta = req.session.meta;
      await new Promise<void>((resolve, reject) => req.logIn(user, (err) => (err ? reject(err as Error) : resolve())));
      if (meta) req.session.meta = meta;
    },
  };
}

export type SessionActions = ReturnType<typeof createSessionActions>;
