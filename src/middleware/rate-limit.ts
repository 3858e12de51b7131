import type { Request, RequestHandler } from 'express';
import type { Limiter } from '../services/rate-limits.js';

/** Counts each request against a limiter (keyed by client IP unless told otherwise); over it, 429 with Retry-After. */
export function rateLimit(limiter: Limiter, keyOf: (req: Request) => string = (req) => req.ip ?? 'unknown'): RequestHandler {
  return (req, res, next) => {
    limiter.hit(keyOf(req)).then(
      () => next(),
      (err: { retryAfterSeconds?: number }) => {
        if (err.retryAfterSeconds) res.set('Retry-After', String(err.retryAfterSeconds));
        next(err);
      },
    );
  };
}
