import type { Request, RequestHandler, Response } from 'express';
import type { CachedPage, PageCache } from '../lib/page-cache.js';
import { SESSION_COOKIE } from './session.js';

/**
 * Guest pages may be kept by a browser or a CDN but must be checked with us (ETag) each time,
 * so a catalog change is never hidden behind someone else's cache.
 */
export const GUEST_PAGE_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
/** Pages for a session (signed in, or holding a form token): only that browser may keep them. */
export const SESSION_PAGE_CACHE_CONTROL = 'private, no-cache';

const sessionCookie = new RegExp(`(?:^|;)\\s*${SESSION_COOKIE}=`);
export const hasSessionCookie = (req: Request) => sessionCookie.test(req.headers.cookie ?? '');

function sendCached(req: Request, res: Response, page: CachedPage) {
  res.setHeader('ETag', page.etag);
  res.setHeader('Cache-Control', GUEST_PAGE_CACHE_CONTROL);
  res.setHeader('X-Page-Cache', 'hit');
  const tags = req.headers['if-none-match'];
  if (tags && (tags === page.etag || tags.split(',').some((t) => t.trim() === page.etag))) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const gzip = page.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? page.gzip! : page.body;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The shared page cache in front of the storefront's catalog, product and home pages (`paths`).
 * A request without a session cookie is a guest whose page depends on the URL alone: it is
 * answered from the cache, or rendered as usual and then kept. Mounted before the session,
 * compression and routers, so a hit costs none of them. Requests with a session never read or
 * fill it. Only a 200 whose render put nothing into a new session is kept.
 */
export function sharedPageCache(
  cache: PageCache,
  opts: {
    paths: RegExp;
    maxKeyLength?: number;
    /** The clock (ms) the staleness below is measured by. */
    now?: () => number;
    /** When a page rendered now stops being right (prices change at an offer's start or end), ms. */
    staleAt?: () => number | undefined;
  },
): RequestHandler {
  const maxKey = opts.maxKeyLength ?? 512;
  const now = opts.now ?? Date.now;
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !opts.paths.test(req.path)) return next();
    res.vary('Cookie');
    if (hasSessionCookie(req)) {
      res.setHeader('Cache-Control', SESSION_PAGE_CACHE_CONTROL);
      return next();
    }
    res.setHeader('Cache-Control', GUEST_PAGE_CACHE_CONTROL);
    const key = req.originalUrl;
    if (key.length > maxKey) return next();
    const hit = cache.get(key, now());
    if (hit) return sendCached(req, res, hit);
    if (!cache.enabled) return next();

    const generation = cache.generation;
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      const session = req.session as unknown as Record<string, unknown> | undefined;
      const sessionUsed = session !== undefined && Object.keys(session).some((k) => k !== 'cookie');
      if (res.statusCode === 200 && typeof body === 'string' && !sessionUsed && !res.getHeader('Set-Cookie')) {
        const page = cache.set(key, body, generation, opts.staleAt?.());
        if (page) {
          res.setHeader('ETag', page.etag);
          res.setHeader('X-Page-Cache', 'miss');
        }
      }
      return send(body);
    };
    next();
  };
}
