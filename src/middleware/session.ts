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
export function createSessionStore(pool: pg.Pool): session.Store {
  const PgStore = connectPgSimple(session);
  return new PgStore({ pool, tableName: 'session', pruneSessionInterval: false, createTableIfMissing: false });
}

export function sessionMiddleware(store: session.Store, opts: Omit<SessionOptions, 'pool'>): RequestHandler {
  return session({
    store,
    name: 'sid',
    secret: opts.secret,
    resave: false,
    // No row for visitors who only browse: a session is made when something is stored in it.
    saveUninitialized: false,
    // Each response pushes the idle expiry forward; an idle session dies after idleMs.
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookie, maxAge: opts.idleMs, path: '/' },
  });
}
