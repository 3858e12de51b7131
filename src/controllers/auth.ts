import type { Request, Response } from 'express';
import { UnauthorizedError } from '../lib/errors.js';
import { parseInput } from '../lib/validate.js';
import { issueCsrfToken } from '../middleware/csrf.js';
import type { SessionModel } from '../models/sessions.js';
import { publicUser } from '../services/account-context.js';
import type { AuthService } from '../services/auth-service.js';
import * as s from './auth-schemas.js';
import type { SessionActions } from './session-actions.js';

const CHECK_EMAIL = 'Thanks! Check your email for a link to confirm your address.';

/** JSON endpoints under /api/auth for scripts and page JavaScript. */
export function createAuthApiController(deps: { auth: AuthService; actions: SessionActions; sessions: SessionModel }) {
  const { auth, actions } = deps;
  const info = (req: Request) => ({ ip: req.ip ?? '', userAgent: req.get('user-agent') });
  const me = (req: Request) => {
    if (!req.user) throw new UnauthorizedError();
    return req.user;
  };

  return {
    /** GET /api/auth/csrf: a CSRF token for this session. */
    csrf(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json({ csrfToken: issueCsrfToken(req, res) });
    },

    /** POST /api/auth/signup: creates an unverified account; the same answer for a taken email. */
    async signup(req: Request, res: Response) {
      const body = parseInput(s.signupBody, req.body);
      await auth.signup(body, info(req));
      res.status(201).json({ message: CHECK_EMAIL });
    },

    /** POST /api/auth/login: the password step; may ask for a second factor. */
    async login(req: Request, res: Response) {
      parseInput(s.loginBody, req.body);
      const result = await actions.login(req, res);
      // The session was regenerated, so the page needs the new CSRF token.
      const csrfToken = issueCsrfToken(req, res);
      if ('twoFactorRequired' in result) return res.json({ twoFactorRequired: true, methods: result.methods, csrfToken });
      res.json({ user: publicUser(result.user), csrfToken });
    },

    /** POST /api/auth/login/2fa: completes a login with a TOTP, emailed or recovery code. */
    async loginTwoFactor(req: Request, res: Response) {
      const { code } = parseInput(s.codeBody, req.body);
      const { user } = await actions.completeTwoFactor(req, code);
      res.json({ user: publicUser(user), csrfToken: issueCsrfToken(req, res) });
    },

    /** POST /api/auth/login/2fa/email: sends (or resends) the emailed code for this login. */
    async sendLoginCode(req: Request, res: Response) {
      parseInput(s.codeBody.partial().strict(), req.body ?? {});
      await actions.sendEmailCode(req);
      res.status(202).json({ message: 'We sent a 6-digit code to your email.' });
    },

    /** POST /api/auth/logout: ends the session (its row is deleted). */
    async logout(req: Request, res: Response) {
      await actions.logout(req, res);
      res.status(204).end();
    },

    /** GET /api/auth/me: the signed-in user. */
    me(req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json({ user: publicUser(me(req)) });
    },

    /** POST /api/auth/verify-email {token} */
    async verifyEmail(req: Request, res: Response) {
      const { token } = parseInput(s.tokenBody, req.body);
      await auth.verifyEmail(token);
      res.json({ message: 'Your email address is confirmed. You can sign in now.' });
    },

    /** POST /api/auth/resend-verification {email}: the same answer whether or not it is known. */
    async resendVerification(req: Request, res: Response) {
      const { email } = parseInput(s.emailBody, req.body);
      await auth.resendVerification(email, info(req));
      res.status(202).json({ message: 'If that address has an account waiting for confirmation, we sent a new link.' });
    },

    /** POST /api/auth/password/forgot {email}: the same answer whether or not it is known. */
    async forgotPassword(req: Request, res: Response) {
      const { email } = parseInput(s.emailBody, req.body);
      await auth.forgotPassword(email, info(req));
      res.status(202).json({ message: 'If that address has an account, we sent a link to reset the password.' });
    },

    /** POST /api/auth/password/reset {token, password} */
    async resetPassword(req: Request, res: Response) {
      const body = parseInput(s.resetBody, req.body);
      await auth.resetPassword(body.token, body.password, info(req));
      res.json({ message: 'Your password was changed. Sign in with your new password.' });
    },

    /** POST /api/auth/password/change {currentPassword, newPassword}: other sessions end. */
    async changePassword(req: Request, res: Response) {
      const body = parseInput(s.changePasswordBody, req.body);
      await auth.changePassword(me(req).id, body.currentPassword, body.newPassword, req.sessionID);
      await actions.rotate(req);
      res.json({ message: 'Your password was changed. Other devices were signed out.', csrfToken: issueCsrfToken(req, res) });
    },

    /** GET /api/auth/sessions: this user's active sessions. */
    async listSessions(req: Request, res: Response) {
      const rows = await deps.sessions.listForUser(me(req).id);
      res.set('Cache-Control', 'no-store').json({
        sessions: rows.map((r) => ({ current: r.sid === req.sessionID, device: r.sess.meta?.device ?? null, ip: r.sess.meta?.ip ?? null, signedInAt: r.sess.meta?.createdAt ?? null, expiresAt: r.expire })),
      });
    },

    /** POST /api/auth/sessions/revoke-others: signs out every other device. */
    async revokeOtherSessions(req: Request, res: Response) {
      const removed = await deps.sessions.deleteForUser(me(req).id, req.sessionID);
      res.json({ removed });
    },
  };
}
