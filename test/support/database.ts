import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../src/db/embedded.js';
import { createDb } from '../../src/db/knex.js';
import { migrateLatest } from '../../src/db/migrate.js';

/**
 * One real PostgreSQL server for the whole run: TEST_DATABASE_URL's server when given (its user
 * must be allowed to create databases), else an embedded one in a temp folder. Migrations run once
 * into a template database; each test file then gets its own copy (CREATE DATABASE … TEMPLATE),
 * which takes milliseconds and keeps files from seeing each other's rows.
 */
const TEMPLATE = 'store_test_template';

let embedded: EmbeddedPg | undefined;
let tempDir: string | undefined;
let adminUrl: string | undefined;
let counter = 0;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function urlFor(database: string): string {
  if (!adminUrl) throw new Error('test database server not started (global setup did not run)');
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function startTestDatabaseServer(): Promise<void> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    adminUrl = external;
  } else {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'store-test-pg-'));
    // The embedded server runs as an unprivileged user when we are root; it must reach its folder.
    chmodSync(tempDir, 0o755);
    embedded = await startEmbeddedPostgres({ dir: path.join(tempDir, 'data'), port: await freePort(), persistent: false });
    adminUrl = embedded.adminUrl;
  }
  process.env.STORE_TEST_PG_ADMIN_URL = adminUrl;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
    await c.query(`CREATE DATABASE ${TEMPLATE}`);
  });
  const db = createDb({ url: urlFor(TEMPLATE), poolMax: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

export async function stopTestDatabaseServer(): Promise<void> {
  if (embedded) await embedded.stop();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}

/** A fresh, migrated, empty database; returns its URL. */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<string> {
  adminUrl ??= process.env.STORE_TEST_PG_ADMIN_URL;
  const name = `store_test_${process.pid}_${++counter}`;
  await admin((c) => c.query(opts.migrated === false ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`));
  return urlFor(name);
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
}
