import { EventEmitter } from 'node:events';
import pg from 'pg';

/**
 * One dedicated connection that LISTENs to PostgreSQL notification channels, so every process
 * hears about a change made by any other (a catalog edit in one web process drops the page
 * caches of all of them). A pool cannot do this: LISTEN belongs to one session.
 *
 * It reconnects by itself after the database restarts or fails over (1 s, 2 s … at most 30 s
 * apart). Notifications sent while it was away are lost, so 'connected' (first time and after
 * every reconnect) is the signal to treat everything as changed; between 'disconnected' and
 * the next 'connected' a cache that relies on it must not serve.
 *
 * Events: 'notification' (channel, payload), 'connected', 'disconnected' (err).
 */
export interface NotificationListener extends EventEmitter {
  readonly connected: boolean;
  start(): void;
  close(): Promise<void>;
}

export function createNotificationListener(opts: { url: string; ssl?: boolean; channels: string[]; maxBackoffMs?: number }): NotificationListener {
  const emitter = new EventEmitter() as NotificationListener;
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let started = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;

  const lost = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = undefined;
    c.removeAllListeners();
    c.on('error', () => undefined);
    c.end().catch(() => undefined);
    if (connected) {
      connected = false;
      emitter.emit('disconnected', err);
    }
    if (!closed) {
      const wait = Math.min(1000 * 2 ** attempt, opts.maxBackoffMs ?? 30_000);
      attempt++;
      retry = setTimeout(connect, wait);
      retry.unref();
    }
  };

  async function connect() {
    retry = undefined;
    if (closed) return;
    const c = new pg.Client({ connectionString: opts.url, ssl: opts.ssl ? { rejectUnauthorized: false } : undefined, connectionTimeoutMillis: 5_000, keepAlive: true });
    client = c;
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (n) => emitter.emit('notification', n.channel, n.payload));
    try {
      await c.connect();
      for (const channel of opts.channels) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      lost(c, err as Error);
      return;
    }
    if (client !== c || closed) return;
    attempt = 0;
    connected = true;
    emitter.emit('connected');
  }

  Object.defineProperty(emitter, 'connected', { get: () => connected });
  emitter.start = () => {
    if (started) return;
    started = true;
    void connect();
  };
  emitter.close = async () => {
    closed = true;
    if (retry) clearTimeout(retry);
    const c = client;
    client = undefined;
    connected = false;
    if (c) await c.end().catch(() => undefined);
  };
  return emitter;
}
