import csurf from 'csurf';
import type { Request, RequestHandler, Response } from 'express';

/**
 * CSRF protection in session mode (the secret lives in the server-side session, never a cookie).
 * Every non-GET request must carry the token in the body field `_csrf` or the `X-CSRF-Token`
 * header. For GET requests the token is minted lazily, only when a page or the token endpoint
 * asks for it, so a visitor who only browses the catalog never gets a session row.
 */
const protect = csurf({
  ignoreMethods: ['GET', 'HEAD', 'OPTIONS'],
  // Only the form body or a header: a token in a URL ends up in logs, history and Referer headers.
  value: (req) => {
    const fromBody = (req.body as { _csrf?: unknown } | undefined)?._csrf;
    if (typeof fromBody === 'string') return fromBody;
    const header = req.headers['x-csrf-token'] ?? req.headers['csrf-token'] ?? req.headers['x-xsrf-token'];
    return typeof header === 'string' ? header : '';
  },
});

export function issueCsrfToken(req: Request, res: Response): string {
  if (typeof req.csrfToken !== 'function') {
    // In session mode csurf runs synchronously: it creates the secret if needed and sets req.csrfToken.
    protect(req, res, () => undefined);
  }
  return req.csrfToken();
}

/**
 * The token check itself, for routes that must read their body first: a multipart form's
 * `_csrf` field exists only once multer has parsed it (routes/admin/uploads.ts).
 */
export const checkCsrfNow: RequestHandler = (req, res, next) => protect(req, res, next);

/**
 * `uploads`: the multipart form posts (by method and path) whose route runs checkCsrfNow once
 * it has read the form. Every other multipart request is checked here, and fails for want of a
 * token: nothing else accepts one.
 */
export function csrfProtection(opts: { skip?: (req: Request) => boolean; uploads?: (req: Request) => boolean } = {}): RequestHandler {
  return (req, res, next) => {
    res.locals.csrfToken = () => issueCsrfToken(req, res);
    // A session that already holds a secret can show the token in a <meta> tag at no cost.
    res.locals.hasCsrfSecret = Boolean((req.session as { csrfSecret?: string } | undefined)?.csrfSecret);
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (opts.skip?.(req)) return next();
    if (opts.uploads?.(req) && req.is('multipart/form-data')) return next();
    protect(req, res, next);
  };
}
