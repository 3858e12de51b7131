import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../lib/logger.js';
import { isDatabaseUnavailable } from '../lib/db-errors.js';
import { AppError, NotFoundError, ServiceUnavailableError, TooManyRequestsError, type FieldErrors } from '../lib/errors.js';

const TITLES: Record<number, string> = {
  400: 'Please check what you entered',
  401: 'Please sign in',
  403: 'Access denied',
  404: 'Page not found',
  409: 'That conflicts with something',
  413: 'Too large',
  429: 'Slow down a little',
  500: 'Something went wrong',
  503: 'We will be right back',
};

/** Turns the few error shapes that libraries throw into our typed errors. */
function normalize(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; code?: string; status?: number; statusCode?: number } | undefined;
  if (e?.code === 'EBADCSRFTOKEN') {
    return new AppError(403, 'CSRF_INVALID', 'Your form expired or was sent from another site. Reload the page and try again.');
  }
  // body-parser errors carry a `type`.
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'MALFORMED_BODY', 'The request body is not valid JSON.');
  if (e?.type === 'entity.too.large') return new AppError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
    return new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported.');
  }
  if (isDatabaseUnavailable(err)) {
    return new ServiceUnavailableError('We will be right back: the shop is reconnecting to its database. Please try again in a minute.', 30);
  }
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'BAD_REQUEST', status === 404 ? 'We could not find that page.' : 'The request could not be processed.');
  }
  return undefined;
}

export function wantsJson(req: Request): boolean {
  // originalUrl, not path: inside a mounted router path is relative to the mount point.
  return req.originalUrl.startsWith('/api/') || (!req.accepts('html') && Boolean(req.accepts('json')));
}

function send(req: Request, res: Response, status: number, code: string, message: string, fields?: FieldErrors, stack?: string) {
  if (wantsJson(req)) {
    res.status(status).json({ error: { code, message, ...(fields ? { fields } : {}) } });
    return;
  }
  res.status(status).render('errors/error', { title: TITLES[status] ?? 'Error', status, message, fields, stack }, (renderErr, html) => {
    if (renderErr) {
      res.type('text/plain').send(`${status} ${message}`);
      return;
    }
    res.send(html);
  });
}

/** Unmatched routes end here. */
export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

export function errorHandler(opts: {
  logger: Logger;
  showStack: boolean;
  onUnexpected?: (err: unknown, req: Request) => void;
}): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      req.log?.error({ err }, 'error after response started');
      res.destroy();
      return;
    }
    const known = normalize(err);
    if (known) {
      if (known instanceof TooManyRequestsError || known instanceof ServiceUnavailableError) res.set('Retry-After', String(known.retryAfterSeconds));
      if (known.status === 503) (req.log ?? opts.logger).warn({ err }, 'database unavailable');
      send(req, res, known.status, known.code, known.message, known.fields);
      return;
    }
    (req.log ?? opts.logger).error({ err }, 'unexpected error');
    opts.onUnexpected?.(err, req);
    const stack = opts.showStack && err instanceof Error ? err.stack : undefined;
    send(req, res, 500, 'INTERNAL_ERROR', 'Something went wrong on our side. Please try again in a moment.', undefined, stack);
  };
}
