import connectPgSimple from 'connect-pg-simple';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type pg from 'pg';

export interface SessionOptions {
  pool: pg.Pool;
  secret: string;
  idleMs: number;
  secureCookie: boolean;
}

/**
 * Server-side sessions in PostgreSQL (table `session`), so several web processes share them and
 * they survive restarts. The cookie holds only the signed session id. Expired rows are removed by
 * the `prune-expired-sessions` job rather than a timer in every web process.
 */
export function createSessionStore(pool: pg.Pool, opts: { touchEveryMs?: number; now?: () => number } = {}): session.Store {
  const PgStore = connectPgSimple(session);
  const store = new PgStore({ pool, tableName: 'session', pruneSessionInterval: false, createTableIfMissing: false });
  return throttleTouches(store, opts.touchEveryMs ?? 60_000, opts.now ?? Date.now);
}

/**
 * A rolling session is "touched" (an UPDATE of its expiry) on every request. Under load that is a
 * write per page view; pushing an expiry measured in days forward more than once a minute buys
 * nothing, so this process skips touches of a session it touched less than `everyMs` ago.
 * A changed session is still saved in full every time.
 */
function throttleTouches(store: session.Store, everyMs: number, now: () => number): session.Store {
  const touched = new Map<string, number>();
  const touch = store.touch?.bind(store);
  if (!touch) return store;
  store.touch = (sid, sess, cb) => {
    const t = now();
    const last = touched.get(sid);
    if (last !== undefined && t - last < everyMs) return cb?.();
    if (touched.size > 50_000) touched.clear(); // bounded memory; the worst case is one extra touch
    touched.set(sid, t);
    touch(sid, sess, cb);
  };
  return store;
}

/** The session cookie's name; its presence is how the shared page cache tells a guest apart. */
export const SESSION_COOKIE = 'sid';

export function sessionMiddleware(store: session.Store, opts: Omit<SessionOptions, 'pool'>): RequestHandler {
  return session({
    store,
    name: SESSION_COOKIE,
    secret: opts.secret,
    resave: false,
    // No row for visitors who only browse: a session is made when something is stored in it.
    saveUninitialized: false,
    // Each response pushes the idle expiry forward; an idle session dies after idleMs.
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookie, maxAge: opts.idleMs, path: '/' },
  });
}
