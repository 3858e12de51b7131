import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passportPkg from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Clock } from '../lib/clock.js';
import { AppError, ForbiddenError, UnauthorizedError } from '../lib/errors.js';
import { safeNext } from '../lib/safe-redirect.js';
import type { UserModel, UserRow } from '../models/users.js';
import { publicUser, twoFactorMethods } from '../services/account-context.js';
import type { AuthService } from '../services/auth-service.js';
import { wantsJson } from './errors.js';

/**
 * Sessions for signed-in users with passport. Each app gets its own Passport instance (no module
 * singleton), the session holds only the user id, and the user row is loaded once per request.
 */
export function createPassport(deps: { users: UserModel; auth: AuthService }) {
  const passport = new passportPkg.Passport();
  passport.serializeUser<number>((user, done) => done(null, (user as UserRow).id));
  passport.deserializeUser<number>((id, done) => {
    // A disabled account's sessions run signed out (disabling also deletes them; this covers a race).
    deps.users.findSessionUser(id).then((u) => done(null, u && !u.disabled_at ? u : false), done);
  });
  // The password step; throws our typed errors (401 / 403 / 429) through `done`.
  passport.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false }, (req, email, password, done) => {
      deps.auth.checkPassword({ email, password }, { ip: req.ip ?? '', userAgent: req.get('user-agent') }).then((r) => done(null, r as never), done);
    }),
  );
  return passport;
}

export type StorePassport = ReturnType<typeof createPassport>;

/**
 * Ends sessions past their absolute lifetime (the idle limit is the cookie's rolling expiry) and
 * exposes the signed-in user to views.
 */
export function sessionLifetime(opts: { absoluteMs: number; clock: Clock }): RequestHandler {
  return (req, res, next) => {
    const authAt = req.session?.meta?.authAt;
    if (req.user && authAt && opts.clock.now().getTime() - authAt > opts.absoluteMs) {
      // A fresh, empty session replaces the old one (whose row is deleted), so the rest of the
      // request runs signed out with a working session: pages can still mint a CSRF token.
      delete req.user;
      req.session.regenerate((err) => {
        if (err) return next(err);
        res.locals.user = undefined;
        next();
      });
      return;
    }
    res.locals.user = req.user ? publicUser(req.user) : undefined;
    next();
  };
}

function loginRedirect(req: Request, res: Response) {
  res.redirect(303, `/login?next=${encodeURIComponent(safeNext(req.originalUrl))}`);
}

/** Signed-in users only: APIs answer 401, pages send the visitor to /login and back. */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  if (wantsJson(req)) return next(new UnauthorizedError());
  loginRedirect(req, res);
};

/**
 * Admins only, checked on the server for every /admin and /api/admin request (deny by default).
 * With REQUIRE_ADMIN_2FA an admin without a second factor is sent to set one up first.
 */
export function requireAdmin(opts: { require2fa: boolean }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.user || req.user.role !== 'admin') {
      if (wantsJson(req)) return next(req.user ? new ForbiddenError('This is for administrators only.') : new UnauthorizedError());
      if (req.user && req.session) req.session.flash = { type: 'error', message: 'That page is for administrators. Sign in with an admin account.' };
      return loginRedirect(req, res);
    }
    if (opts.require2fa && twoFactorMethods(req.user).length === 0) {
      if (wantsJson(req)) return next(new AppError(403, 'TWO_FACTOR_REQUIRED', 'Administrators must turn on two-factor sign-in first.'));
      if (req.session) req.session.flash = { type: 'info', message: 'Administrators must turn on two-factor sign-in before using the admin area.' };
      return res.redirect(303, '/account#two-factor');
    }
    next();
  };
}

/** Takes the one-time flash message out of the session for the page being rendered. */
export const flashMessages: RequestHandler = (req, res, next) => {
  if (req.session?.flash) {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
  }
  next();
};
