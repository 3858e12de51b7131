import type { Request, Response } from 'express';
import { AppError } from '../lib/errors.js';
import { safeNext } from '../lib/safe-redirect.js';
import type { AuthService } from '../services/auth-service.js';
import * as s from './auth-schemas.js';
import type { SessionActions } from './session-actions.js';

/**
 * The sign-in, sign-up and recovery pages. Plain HTML forms (no JavaScript needed) over the same
 * services and session actions as the JSON API. A failed form is shown again with the typed
 * values (never the password) and a message per field.
 */
export function createAuthPagesController(deps: { auth: AuthService; actions: SessionActions }) {
  const { auth, actions } = deps;
  const info = (req: Request) => ({ ip: req.ip ?? '', userAgent: req.get('user-agent') });

  /** Runs a form action; on a known error re-renders `view` with its status and messages. */
  async function form(res: Response, view: string, locals: Record<string, unknown>, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (err.status === 429) res.set('Retry-After', String((err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 60));
      res.status(err.status).render(view, { ...locals, error: err.message, errorCode: err.code, errors: err.fields ?? {} });
    }
  }

  /** The "check your email" page; `resend` says which link its button sends again. */
  const checkEmail = (res: Response, heading: string, message: string, email: string | undefined, resend: 'verify' | 'reset') =>
    res.render('account/check-email', { title: heading, heading, message, email, resend });

  return {
    /** GET /login */
    loginPage(req: Request, res: Response) {
      const next = safeNext(req.query.next, '/account');
      if (req.user) return res.redirect(303, next);
      res.render('account/login', { title: 'Sign in', next, values: {}, errors: {} });
    },

    /** POST /login */
    async login(req: Request, res: Response) {
      const next = safeNext(req.body?.next, '/account');
      const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' };
      await form(res, 'account/login', { title: 'Sign in', next, values }, async () => {
        s.parseForm(s.loginBody, req.body);
        const result = await actions.login(req, res, next);
        res.redirect(303, 'twoFactorRequired' in result ? '/login/2fa' : next);
      });
    },

    /** GET /login/2fa: the second step, while a password step is pending. */
    loginTwoFactorPage(req: Request, res: Response) {
      const pending = actions.pending(req);
      if (!pending) return res.redirect(303, '/login');
      res.render('account/login-2fa', { title: 'Two-step verification', methods: pending.methods, emailSent: pending.emailChallengeId !== undefined, errors: {} });
    },

    /** POST /login/2fa */
    async loginTwoFactor(req: Request, res: Response) {
      const pending = actions.pending(req);
      if (!pending) return res.redirect(303, '/login');
      await form(res, 'account/login-2fa', { title: 'Two-step verification', methods: pending.methods, emailSent: pending.emailChallengeId !== undefined }, async () => {
        const { code } = s.parseForm(s.codeBody, req.body);
        const { next } = await actions.completeTwoFactor(req, code);
        res.redirect(303, safeNext(next, '/account'));
      });
    },

    /** POST /login/2fa/email: send or resend the emailed code. */
    async sendLoginCode(req: Request, res: Response) {
      const pending = actions.pending(req);
      if (!pending) return res.redirect(303, '/login');
      await form(res, 'account/login-2fa', { title: 'Two-step verification', methods: pending.methods, emailSent: pending.emailChallengeId !== undefined }, async () => {
        await actions.sendEmailCode(req);
        req.session.flash = { type: 'success', message: 'We sent a 6-digit code to your email. It is valid for 10 minutes.' };
        res.redirect(303, '/login/2fa');
      });
    },

    /** GET /signup */
    signupPage(req: Request, res: Response) {
      if (req.user) return res.redirect(303, '/account');
      res.render('account/signup', { title: 'Create your account', values: {}, errors: {} });
    },

    /** POST /signup */
    async signup(req: Request, res: Response) {
      const values = { email: String(req.body?.email ?? ''), name: String(req.body?.name ?? ''), newsletter: req.body?.newsletter === '1' };
      await form(res, 'account/signup', { title: 'Create your account', values }, async () => {
        const body = s.parseForm(s.signupBody, req.body);
        await auth.signup(body, info(req));
        res.status(201);
        checkEmail(res, 'Check your email', `We sent a link to ${body.email}. Open it to confirm your address, then sign in.`, body.email, 'verify');
      });
    },

    /** GET /verify-email?token=…: a button to confirm (no change on GET; mail scanners follow links). */
    async verifyEmailPage(req: Request, res: Response) {
      res.set('Referrer-Policy', 'no-referrer');
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      // A used link (often: already confirmed) says so instead of offering a button that fails.
      const spent = token !== '' && !(await auth.linkUsable('verify_email', token));
      res.render('account/verify-email', { title: 'Confirm your email', token, spent, errors: {} });
    },

    /** POST /verify-email */
    async verifyEmail(req: Request, res: Response) {
      const token = String(req.body?.token ?? '');
      await form(res, 'account/verify-email', { title: 'Confirm your email', token }, async () => {
        const body = s.parseForm(s.tokenBody, req.body);
        await auth.verifyEmail(body.token);
        req.session.flash = { type: 'success', message: 'Your email address is confirmed. Sign in to continue.' };
        res.redirect(303, '/login');
      });
    },

    /** POST /resend-verification */
    async resendVerification(req: Request, res: Response) {
      await form(res, 'account/check-email', { title: 'Check your email', heading: 'Check your email', message: '' }, async () => {
        const { email } = s.parseForm(s.emailBody, req.body);
        await auth.resendVerification(email, info(req));
        res.status(202);
        checkEmail(res, 'Check your email', 'If that address has an account waiting for confirmation, we sent a new link. It is valid for 24 hours.', email, 'verify');
      });
    },

    /** GET /forgot-password */
    forgotPage(_req: Request, res: Response) {
      res.render('account/forgot-password', { title: 'Reset your password', values: {}, errors: {} });
    },

    /** POST /forgot-password */
    async forgot(req: Request, res: Response) {
      await form(res, 'account/forgot-password', { title: 'Reset your password', values: { email: String(req.body?.email ?? '') } }, async () => {
        const { email } = s.parseForm(s.emailBody, req.body);
        await auth.forgotPassword(email, info(req));
        res.status(202);
        checkEmail(res, 'Check your email', 'If that address has an account, we sent a link to reset your password. It is valid for 1 hour.', email, 'reset');
      });
    },

    /** GET /reset-password?token=… */
    async resetPage(req: Request, res: Response) {
      res.set('Referrer-Policy', 'no-referrer');
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      // A used or expired link says so now, not after the shopper has typed a new password.
      const spent = token !== '' && !(await auth.linkUsable('reset_password', token));
      res.render('account/reset-password', { title: 'Choose a new password', token, spent, errors: {} });
    },

    /** POST /reset-password */
    async reset(req: Request, res: Response) {
      const token = String(req.body?.token ?? '');
      await form(res, 'account/reset-password', { title: 'Choose a new password', token }, async () => {
        const body = s.parseForm(s.resetBody, req.body);
        await auth.resetPassword(body.token, body.password, info(req));
        req.session.flash = { type: 'success', message: 'Your password was changed and other devices were signed out. Sign in with your new password.' };
        res.redirect(303, '/login');
      });
    },

    /** POST /logout: ends the session; the home page then clears this browser's cart copy. */
    async logout(req: Request, res: Response) {
      await actions.logout(req, res);
      res.redirect(303, '/?signed-out=1');
    },
  };
}
