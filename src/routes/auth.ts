import { Router } from 'express';
import { createAccountController } from '../controllers/account.js';
import { createAuthApiController } from '../controllers/auth.js';
import { createAuthPagesController } from '../controllers/auth-pages.js';
import { createSessionActions } from '../controllers/session-actions.js';
import { createTwoFactorApiController } from '../controllers/two-factor.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';
import { noStore } from '../middleware/security.js';

/** What signing in, out and stepping up do to the session, shared by the API and the pages. */
const sessionActions = (deps: Deps) => createSessionActions({ passport: deps.passport, auth: deps.services.auth, twoFactor: deps.services.twoFactor, clock: deps.clock });

export function authApiRoutes(deps: Deps): Router {
  const { auth, twoFactor } = deps.services;
  const actions = sessionActions(deps);
  const c = createAuthApiController({ auth, actions, sessions: deps.models.sessions });
  const tf = createTwoFactorApiController({ twoFactor, actions });
  const r = Router();
  r.use('/api/auth', noStore);
  r.get('/api/auth/csrf', c.csrf);
  r.post('/api/auth/signup', c.signup);
  r.post('/api/auth/login', c.login);
  r.post('/api/auth/login/2fa', c.loginTwoFactor);
  r.post('/api/auth/login/2fa/email', c.sendLoginCode);
  r.post('/api/auth/logout', c.logout);
  r.get('/api/auth/me', c.me);
  r.post('/api/auth/verify-email', c.verifyEmail);
  r.post('/api/auth/resend-verification', c.resendVerification);
  r.post('/api/auth/password/forgot', c.forgotPassword);
  r.post('/api/auth/password/reset', c.resetPassword);
  r.post('/api/auth/password/change', requireUser, c.changePassword);
  r.get('/api/auth/sessions', requireUser, c.listSessions);
  r.post('/api/auth/sessions/revoke-others', requireUser, c.revokeOtherSessions);
  r.get('/api/auth/2fa', requireUser, tf.status);
  r.post('/api/auth/2fa/totp/setup', requireUser, tf.totpSetup);
  r.post('/api/auth/2fa/totp/enable', requireUser, tf.totpEnable);
  r.post('/api/auth/2fa/totp/disable', requireUser, tf.totpDisable);
  r.post('/api/auth/2fa/email/enable', requireUser, tf.emailEnable);
  r.post('/api/auth/2fa/email/disable', requireUser, tf.emailDisable);
  r.post('/api/auth/2fa/recovery-codes', requireUser, tf.recoveryCodes);
  return r;
}

export function authPageRoutes(deps: Deps): Router {
  const { auth, twoFactor } = deps.services;
  const actions = sessionActions(deps);
  const p = createAuthPagesController({ auth, actions });
  const a = createAccountController({ auth, twoFactor, actions, sessions: deps.models.sessions, loginEvents: deps.models.loginEvents });
  const r = Router();
  for (const path of ['/login', '/signup', '/verify-email', '/forgot-password', '/reset-password', '/account']) r.use(path, noStore);
  r.get('/login', p.loginPage);
  r.post('/login', p.login);
  r.get('/login/2fa', p.loginTwoFactorPage);
  r.post('/login/2fa', p.loginTwoFactor);
  r.post('/login/2fa/email', p.sendLoginCode);
  r.get('/signup', p.signupPage);
  r.post('/signup', p.signup);
  r.get('/verify-email', p.verifyEmailPage);
  r.post('/verify-email', p.verifyEmail);
  r.post('/resend-verification', p.resendVerification);
  r.get('/forgot-password', p.forgotPage);
  r.post('/forgot-password', p.forgot);
  r.get('/reset-password', p.resetPage);
  r.post('/reset-password', p.reset);
  r.post('/logout', p.logout);

  r.get('/account', requireUser, a.page);
  r.post('/account/profile', requireUser, a.profile);
  r.post('/account/password', requireUser, a.password);
  r.post('/account/2fa/totp/setup', requireUser, a.totpSetup);
  r.post('/account/2fa/totp/enable', requireUser, a.totpEnable);
  r.post('/account/2fa/totp/disable', requireUser, a.totpDisable);
  r.post('/account/2fa/email/enable', requireUser, a.emailEnable);
  r.post('/account/2fa/email/disable', requireUser, a.emailDisable);
  r.post('/account/2fa/recovery-codes', requireUser, a.recoveryCodes);
  r.post('/account/sessions/revoke-others', requireUser, a.revokeOthers);
  return r;
}
