import type { Request, Response } from 'express';
import { AppError, UnauthorizedError } from '../lib/errors.js';
import type { LoginEventModel } from '../models/login-events.js';
import type { SessionModel } from '../models/sessions.js';
import type { AuthService } from '../services/auth-service.js';
import type { TwoFactorService } from '../services/two-factor-service.js';
import * as s from './auth-schemas.js';
import type { SessionActions } from './session-actions.js';

/**
 * /account: profile, password, two-factor sign-in and active sessions. Each form posts to its own
 * URL and comes back to /account with a message (Post/Redirect/Get), or shows the page again
 * with the error next to the form that caused it.
 */
export function createAccountController(deps: {
  auth: AuthService;
  twoFactor: TwoFactorService;
  actions: SessionActions;
  sessions: SessionModel;
  loginEvents: LoginEventModel;
}) {
  const { auth, twoFactor, actions } = deps;
  const userOf = (req: Request) => {
    if (!req.user) throw new UnauthorizedError();
    return req.user;
  };

  async function render(req: Request, res: Response, status = 200, formErrors: { form?: string; error?: string; errors?: Record<string, string> } = {}) {
    const user = userOf(req);
    const [twoFactorStatus, sessionRows, recentLogins] = await Promise.all([
      twoFactor.status(user.id),
      deps.sessions.listForUser(user.id),
      deps.loginEvents.recentForUser(user.id, 5),
    ]);
    const recoveryCodes = req.session.recoveryCodes;
    delete req.session.recoveryCodes;
    res.status(status).render('account/account', {
      title: 'Your account',
      account: user,
      twoFactorStatus,
      totpSetup: req.session.totpSetup,
      recoveryCodes,
      sessions: sessionRows.map((r) => ({ current: r.sid === req.sessionID, device: r.sess.meta?.device ?? 'Unknown device', ip: r.sess.meta?.ip ?? '', signedInAt: r.sess.meta?.createdAt })),
      recentLogins,
      form: formErrors.form,
      error: formErrors.error,
      errors: formErrors.errors ?? {},
    });
  }

  /** Runs one form's action, then redirects with a message, or re-renders with its error. */
  async function act(req: Request, res: Response, formName: string, action: () => Promise<string>) {
    try {
      const message = await action();
      req.session.flash = { type: 'success', message };
      res.redirect(303, `/account#${formName}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 401) throw err;
      await render(req, res, err.status, { form: formName, error: err.message, errors: err.fields });
    }
  }

  return {
    /** GET /account */
    page: (req: Request, res: Response) => render(req, res),

    /** POST /account/profile */
    profile: (req: Request, res: Response) =>
      act(req, res, 'profile', async () => {
        const { name } = s.parseForm(s.profileBody, req.body);
        await auth.updateProfile(userOf(req).id, { name });
        return 'Your name was saved.';
      }),

    /** POST /account/password */
    password: (req: Request, res: Response) =>
      act(req, res, 'password', async () => {
        const body = s.parseForm(s.changePasswordBody, req.body);
        await auth.changePassword(userOf(req).id, body.currentPassword, body.newPassword, req.sessionID);
        await actions.rotate(req);
        return 'Your password was changed. Other devices were signed out.';
      }),

    /** POST /account/2fa/totp/setup: shows a QR code to scan. */
    totpSetup: (req: Request, res: Response) =>
      act(req, res, 'two-factor', async () => {
        const setup = await twoFactor.startTotpSetup(userOf(req).id);
        req.session.totpSetup = { secret: setup.secret, qrDataUrl: setup.qrDataUrl };
        return 'Scan the QR code with your authenticator app, then enter the 6-digit code it shows.';
      }),

    /** POST /account/2fa/totp/enable */
    totpEnable: (req: Request, res: Response) =>
      act(req, res, 'two-factor', async () => {
        const body = s.parseForm(s.totpEnableBody, req.body);
        const { recoveryCodes } = await twoFactor.enableTotp(userOf(req).id, body.password, body.code);
        await actions.rotate(req);
        delete req.session.totpSetup;
        if (recoveryCodes) req.session.recoveryCodes = recoveryCodes;
        return 'Authenticator app sign-in is on.';
      }),

    /** POST /account/2fa/totp/disable */
    totpDisable: (req: Request, res: Response) =>
      act(req, res, 'two-factor', async () => {
        const body = s.parseForm(s.passwordBody, req.body);
        await twoFactor.disableTotp(userOf(req).id, body.password);
        await actions.rotate(req);
        return 'Authenticator app sign-in is off.';
      }),

    /** POST /account/2fa/email/enable */
    emailEnable: (req: Request, res: Response) =>
      act(req, res, 'two-factor', async () => {
        const body = s.parseForm(s.passwordBody, req.body);
        const { recoveryCodes } = await twoFactor.enableEmailOtp(userOf(req).id, body.password);
        await actions.rotate(req);
        if (recoveryCodes) req.session.recoveryCodes = recoveryCodes;
        return 'Sign-in codes by email are on.';
      }),

    /** POST /account/2fa/email/disable */
    emailDisable: (req: Request, res: Response) =>
      act(req, res, 'two-factor', async () => {
        const body = s.parseForm(s.passwordBody, req.body);
        await twoFactor.disableEmailOtp(userOf(req).id, body.password);
        await actions.rotate(req);
        return 'Sign-in codes by email are off.';
      }),

    /** POST /account/2fa/recovery-codes */
    recoveryCodes: (req: Request, res: Response) =>
      act(req, res, 'two-factor', async () => {
        const body = s.parseForm(s.passwordBody, req.body);
        req.session.recoveryCodes = await twoFactor.regenerateRecoveryCodes(userOf(req).id, body.password);
        return 'New recovery codes are ready. The old ones no longer work.';
      }),

    /** POST /account/sessions/revoke-others */
    revokeOthers: (req: Request, res: Response) =>
      act(req, res, 'sessions', async () => {
        const removed = await deps.sessions.deleteForUser(userOf(req).id, req.sessionID);
        return removed === 1 ? 'One other device was signed out.' : `${removed} other devices were signed out.`;
      }),
  };
}
