import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Db } from '../db/knex.js';
import { migrationConfig } from '../db/migrate.js';
import type { BackupStorage } from './backup-storage.js';

/**
 * The store's own logical backup: no pg_dump (it refuses a newer server, and a PaaS dyno may not
 * have it), only the app's PostgreSQL connection.
 *
 * FORMAT (version 1): one gzip stream of UTF-8 text lines.
 *
 *   RAZORSHOP-BACKUP 1 {"schemaVersion":"20261201001200_backups","createdAt":"…"}
 *   TABLE {"name":"categories","columns":["id","name",…]}
 *   <the rows exactly as `COPY categories (id, name, …) TO STDOUT` writes them (text format)>
 *   \.
 *   TABLE {"name":"products",…}
 *   …
 *   \.
 *   END {"tables":{"categories":12,"products":340,…}}
 *
 * In COPY's text format every row is one line and a backslash in the data is always written as
 * two, so a line that is exactly `\.` can only be the end of a table. Tables come in foreign-key
 * order (a parent before its children), so they restore in the order they are read, one COPY at
 * a time, without holding anything in memory. Generated columns are left out (PostgreSQL computes
 * them again). Everything is read in one REPEATABLE READ READ ONLY transaction: a consistent
 * snapshot, while the store keeps running and writing.
 */
export const BACKUP_FORMAT = 'razorshop-backup';
export const BACKUP_FORMAT_VERSION = 1;
const MAGIC = `RAZORSHOP-BACKUP ${BACKUP_FORMAT_VERSION} `;

/**
 * Tables whose rows are not backed up (their tables are, by the migrations):
 * - knex_migrations*: the restore writes them by running the migrations up to the schema version.
 * - session: sign-ins are disposable, and restoring them would bring back sessions that were
 *   signed out or revoked (a disabled admin, a stolen phone) after the backup; they also carry
 *   session secrets a backup need not hold. After a restore everyone signs in again.
 * - agenda_jobs: the scheduler's own bookkeeping; workers schedule every recurring job again at
 *   start, and the work that matters (mail outbox, payments) lives in the store's own tables.
 */
export const EXCLUDED_TABLES: readonly string[] = ['knex_migrations', 'knex_migrations_lock', 'session', 'agenda_jobs'];

export interface TableInfo {
  name: string;
  columns: string[];
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  key: string;
  createdAt: string;
  finishedAt: string;
  /** The newest applied knex migration: the restore builds the schema up to it. */
  schemaVersion: string;
  serverVersion: string;
  compression: 'gzip';
  /** In the order they are stored (foreign-key order), with rows counted from the COPY stream. */
  tables: { name: string; columns: string[]; rows: number }[];
  /** Sequences' next values (nextval would return this), so ids of deleted rows are not reused. */
  sequences: Record<string, number>;
  excludedTables: readonly string[];
  totalRows: number;
  sizeBytes: number;
  sha256: string;
}

export const manifestKeyOf = (key: string) => key.replace(/\.copy\.gz$/, '') + '.manifest.json';

const ident = (name: string) => pg.escapeIdentifier(name);
const columnList = (cols: string[]) => cols.map(ident).join(', ');

function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** The store's tables (schema public) with their stored (not generated) columns, by name. */
export async function listTables(client: pg.Client): Promise<TableInfo[]> {
  const res = await client.query<{ name: string; columns: string[] }>(
    `SELECT c.relname::text AS name, array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      WHERE c.relkind = 'r'
      GROUP BY c.relname
      ORDER BY c.relname`,
  );
  return res.rows.filter((t) => !EXCLUDED_TABLES.includes(t.name));
}

/**
 * Parents before children, from the foreign keys in pg_constraint (a table referring to itself is
 * fine: its rows arrive in one COPY and are checked at its end). Ties go by name, so the order is
 * stable. A cycle between tables (the store has none) is refused rather than restored wrongly.
 */
export async function foreignKeyOrder(client: pg.Client, names: string[]): Promise<string[]> {
  const res = await client.query<{ child: string; parent: string }>(
    `SELECT ch.relname::text AS child, pa.relname::text AS parent
       FROM pg_constraint k
       JOIN pg_class ch ON ch.oid = k.conrelid
       JOIN pg_class pa ON pa.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = ch.relnamespace AND n.nspname = 'public'
      WHERE k.contype = 'f' AND k.conrelid <> k.confrelid`,
  );
  const wanted = new Set(names);
  const parents = new Map(names.map((n) => [n, new Set<string>()]));
  for (const { child, parent } of res.rows) if (wanted.has(child) && wanted.has(parent)) parents.get(child)!.add(parent);
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < names.length) {
    const ready = names.filter((n) => !placed.has(n) && [...parents.get(n)!].every((p) => placed.has(p))).sort();
    if (!ready.length) throw new Error(`foreign keys form a cycle between: ${names.filter((n) => !placed.has(n)).join(', ')}`);
    for (const n of ready) {
      order.push(n);
      placed.add(n);
    }
  }
  return order;
}

async function sequencesOf(client: pg.Client): Promise<{ seq: string; table: string; column: string }[]> {
  const res = await client.query<{ seq: string; table: string; column: string }>(
    `SELECT s.relname::text AS seq, t.relname::text AS table, a.attname::text AS column
       FROM pg_class s
       JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = 'public'
       JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE s.relkind = 'S'
      ORDER BY 1`,
  );
  return res.rows;
}

/** A pass-through that hashes (SHA-256) and counts what goes through it. */
function hashTap(): Transform & { sha256(): string; bytes: number } {
  const hash = createHash('sha256');
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      t.bytes += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { sha256(): string; bytes: number };
  t.bytes = 0;
  let digest: string | undefined;
  t.sha256 = () => (digest ??= hash.digest('hex'));
  return t;
}

export interface DbTarget {
  url: string;
  ssl?: boolean;
}

const connect = async (target: DbTarget) => {
  const client = new pg.Client({ connectionString: target.url, ssl: target.ssl ? { rejectUnauthorized: false } : undefined });
  await client.connect();
  client.on('error', () => undefined);
  return client;
};

/**
 * Dumps the database into storage at `key` (streamed: COPY → gzip → SHA-256 → multipart upload
 * or file) and writes the manifest beside it. Returns the manifest.
 */
export async function dumpDatabase(target: DbTarget, storage: BackupStorage, key: string, now: () => Date): Promise<BackupManifest> {
  const client = await connect(target);
  try {
    const createdAt = now();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const schemaVersion = (await client.query<{ name: string }>('SELECT name FROM knex_migrations ORDER BY id DESC LIMIT 1')).rows[0]?.name;
    if (!schemaVersion) throw new Error('the database has no migrations applied');
    const serverVersion = (await client.query<{ v: string }>('SHOW server_version')).rows[0]!.v;
    const all = await listTables(client);
    const order = await foreignKeyOrder(client, all.map((t) => t.name));
    const tables = order.map((n) => all.find((t) => t.name === n)!);
    const sequences: Record<string, number> = {};
    for (const s of await sequencesOf(client)) {
      const r = await client.query<{ last_value: number; is_called: boolean }>(`SELECT last_value, is_called FROM ${ident(s.seq)}`);
      sequences[s.seq] = Number(r.rows[0]!.last_value) + (r.rows[0]!.is_called ? 1 : 0);
    }
    const counts: Record<string, number> = {};

    async function* chunks(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${MAGIC}${JSON.stringify({ schemaVersion, createdAt: createdAt.toISOString() })}\n`);
      for (const t of tables) {
        yield Buffer.from(`TABLE ${JSON.stringify({ name: t.name, columns: t.columns })}\n`);
        let rows = 0;
        const copy = client.query(copyTo(`COPY ${ident(t.name)} (${columnList(t.columns)}) TO STDOUT`));
        for await (const chunk of copy as AsyncIterable<Buffer>) {
          rows += countNewlines(chunk);
          yield chunk;
        }
        counts[t.name] = rows;
        yield Buffer.from('\\.\n');
      }
      yield Buffer.from(`END ${JSON.stringify({ tables: counts })}\n`);
    }

    // COPY → gzip → SHA-256 → storage, with backpressure all the way: memory stays flat. A failure
    // on either side ends the other (storage removes what it had written).
    const tap = hashTap();
    const produced = pipeline(Readable.from(chunks()), createGzip({ level: 6 }), tap);
    const stored = storage.putStream(key, tap).catch((err: unknown) => {
      tap.destroy(err as Error);
      throw err;
    });
    const [made, put] = await Promise.allSettled([produced, stored]);
    if (put.status === 'rejected') throw put.reason;
    if (made.status === 'rejected') throw made.reason;
    const size = put.value.size;
    await client.query('COMMIT');
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      key,
      createdAt: createdAt.toISOString(),
      finishedAt: now().toISOString(),
      schemaVersion,
      serverVersion,
      compression: 'gzip',
      tables: tables.map((t) => ({ name: t.name, columns: t.columns, rows: counts[t.name] ?? 0 })),
      sequences,
      excludedTables: EXCLUDED_TABLES,
      totalRows: Object.values(counts).reduce((a, b) => a + b, 0),
      sizeBytes: size,
      sha256: tap.sha256(),
    };
    await storage.putJson(manifestKeyOf(key), manifest);
    return manifest;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export class RestoreError extends Error {}

/** Streams a stored object through SHA-256; its digest and size. */
export async function checksumOf(storage: BackupStorage, key: string): Promise<{ sha256: string; size: number }> {
  const tap = hashTap();
  await pipeline(await storage.read(key), tap, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) void chunk;
  });
  return { sha256: tap.sha256(), size: tap.bytes };
}

/** The backup's manifest, with its checksum checked against the stored object. */
export async function verifiedManifest(storage: BackupStorage, key: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = await storage.readJson<BackupManifest>(manifestKeyOf(key));
  } catch (err) {
    throw new RestoreError(`cannot read the manifest ${manifestKeyOf(key)}: ${(err as Error).message}`);
  }
  if (manifest.format !== BACKUP_FORMAT || manifest.formatVersion !== BACKUP_FORMAT_VERSION) throw new RestoreError(`not a backup this version can read (format ${manifest.format} ${manifest.formatVersion})`);
  const { sha256, size } = await checksumOf(storage, key);
  if (sha256 !== manifest.sha256 || size !== manifest.sizeBytes) {
    throw new RestoreError(`checksum mismatch: the stored backup is ${size} bytes with SHA-256 ${sha256}, the manifest says ${manifest.sizeBytes} bytes with ${manifest.sha256}`);
  }
  return manifest;
}

/** Tables of the target that already hold rows (the restore wants an empty database). */
async function tablesWithRows(client: pg.Client): Promise<string[]> {
  const full: string[] = [];
  for (const t of await listTables(client)) {
    const r = await client.query(`SELECT 1 FROM ${ident(t.name)} LIMIT 1`);
    if (r.rowCount) full.push(t.name);
  }
  return full;
}

/** Runs the migrations forward (or back) until `version` is the newest applied. */
async function migrateTo(db: Db, version: string): Promise<void> {
  const source = migrationConfig.migrationSource!;
  const all = ((await source.getMigrations([])) as unknown[]).map((m) => source.getMigrationName(m));
  if (!all.includes(version)) throw new RestoreError(`the backup's schema version ${version} is not one of this release's migrations (a backup from a newer release?)`);
  for (;;) {
    const [completed] = (await db.migrate.list(migrationConfig)) as [{ name: string }[], unknown[]];
    const names = completed.map((c) => (typeof c === 'string' ? c : c.name)).sort();
    const newest = names.at(-1);
    if (newest === version) return;
    if (newest && newest > version) await db.migrate.down(migrationConfig);
    else await db.migrate.up(migrationConfig);
  }
}

export interface RestoreResult {
  manifest: BackupManifest;
  tables: { name: string; rows: number; expected: number }[];
  ms: number;
}

/**
 * Restores a backup into the target database: checks the checksum, refuses a database with rows
 * (unless `force`: then every app table, sessions included, is emptied in the same transaction),
 * builds the schema with the migrations up to the backup's version, then COPYs every table in the
 * stored (foreign-key) order with the store's own triggers off (the rows already hold what they
 * would compute), moves every sequence past its highest id, and compares each table's row count
 * with the manifest. All of the loading is one transaction: a failed restore leaves no half data.
 */
export async function restoreDatabase(opts: { target: DbTarget; db: Db; storage: BackupStorage; key: string; force?: boolean; log?: (msg: string) => void }): Promise<RestoreResult> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const manifest = await verifiedManifest(opts.storage, opts.key);
  log(`checksum verified (${manifest.sizeBytes} bytes, SHA-256 ${manifest.sha256.slice(0, 12)}…)`);
  const client = await connect(opts.target);
  try {
    const full = await tablesWithRows(client);
    if (full.length && !opts.force) throw new RestoreError(`the database is not empty (rows in ${full.slice(0, 5).join(', ')}${full.length > 5 ? ', …' : ''}); restore into an empty database, or pass --force to replace everything`);
    // Migrating down commits table by table, outside the load's transaction: a failed load could
    // then leave a database with data on an older schema. So a database with data is only
    // replaced at the backup's own schema version; an older backup goes into an empty database.
    if (full.length) {
      const [completed] = (await opts.db.migrate.list(migrationConfig)) as [({ name: string } | string)[], unknown[]];
      const newest = completed.map((c) => (typeof c === 'string' ? c : c.name)).sort().at(-1);
      if (newest !== manifest.schemaVersion) {
        throw new RestoreError(`the database is at schema ${newest ?? 'none'} and the backup at ${manifest.schemaVersion}; --force replaces data only at the same schema version. Restore into an empty database instead (its migrations are run for you).`);
      }
    }
    await migrateTo(opts.db, manifest.schemaVersion);
    log(`schema at ${manifest.schemaVersion}`);

    const present = await listTables(client);
    const names = manifest.tables.map((t) => t.name);
    for (const t of manifest.tables) {
      const here = present.find((p) => p.name === t.name);
      if (!here) throw new RestoreError(`table ${t.name} is in the backup but not in the schema`);
      const missing = t.columns.filter((c) => !here.columns.includes(c));
      if (missing.length) throw new RestoreError(`table ${t.name} has no column ${missing.join(', ')}`);
    }
    // The stored order must suit this schema's foreign keys (it is read in one pass).
    const order = await foreignKeyOrder(client, names);
    const position = new Map(names.map((n, i) => [n, i]));
    const parents = await client.query<{ child: string; parent: string }>(
      `SELECT ch.relname::text AS child, pa.relname::text AS parent FROM pg_constraint k JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
        JOIN pg_namespace n ON n.oid = ch.relnamespace AND n.nspname = 'public' WHERE k.contype = 'f' AND k.conrelid <> k.confrelid`,
    );
    for (const { child, parent } of parents.rows) {
      if (position.has(child) && position.has(parent) && position.get(parent)! > position.get(child)!) throw new RestoreError(`the backup stores ${child} before ${parent}, which it refers to (expected order: ${order.join(', ')})`);
    }

    await client.query('BEGIN');
    try {
      if (opts.force) {
        const everything = [...present.map((p) => p.name), 'session'];
        await client.query(`TRUNCATE ${everything.map(ident).join(', ')} RESTART IDENTITY CASCADE`);
      }
      for (const n of names) await client.query(`ALTER TABLE ${ident(n)} DISABLE TRIGGER USER`);
      const loaded = await loadStream(client, await opts.storage.read(opts.key), manifest);
      for (const n of names) await client.query(`ALTER TABLE ${ident(n)} ENABLE TRIGGER USER`);

      // Every sequence past the highest id its column holds (and never behind where it was).
      for (const s of await sequencesOf(client)) {
        if (!position.has(s.table)) continue;
        const max = (await client.query<{ m: number | null }>(`SELECT max(${ident(s.column)})::bigint AS m FROM ${ident(s.table)}`)).rows[0]!.m;
        const next = Math.max(Number(max ?? 0) + 1, manifest.sequences[s.seq] ?? 1);
        await client.query('SELECT setval($1::regclass, $2, false)', [s.seq, next]);
      }

      const tables: RestoreResult['tables'] = [];
      for (const t of manifest.tables) {
        const rows = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(t.name)}`)).rows[0]!.n);
        tables.push({ name: t.name, rows, expected: t.rows });
        if (rows !== t.rows || loaded[t.name] !== t.rows) throw new RestoreError(`table ${t.name}: ${rows} rows restored (${loaded[t.name] ?? 0} read), the manifest says ${t.rows}`);
      }
      if (position.has('backups')) {
        // The backup's own row was "running" in its snapshot; a restore knows it finished.
        await client.query(
          `UPDATE backups SET status = 'done', finished_at = $2, size_bytes = $3, sha256 = $4, row_count = $5, schema_version = $6 WHERE key = $1`,
          [manifest.key, manifest.finishedAt, manifest.sizeBytes, manifest.sha256, manifest.totalRows, manifest.schemaVersion],
        );
        await client.query(`UPDATE backups SET status = 'failed', error = 'still running when the backup restored here was taken' WHERE status = 'running'`);
      }
      await client.query('COMMIT');
      // Web processes drop their caches of the catalog (the triggers that say so were off).
      await client.query("SELECT pg_notify('catalog_changed', 'restore')");
      return { manifest, tables, ms: Date.now() - started };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Reads the gzip stream and COPYs each table in; rows loaded per table (from the server's count). */
async function loadStream(client: pg.Client, body: Readable, manifest: BackupManifest): Promise<Record<string, number>> {
  const loaded: Record<string, number> = {};
  const expected = new Map(manifest.tables.map((t) => [t.name, t]));
  const TERM = Buffer.from('\n\\.\n');
  let buf: Buffer = Buffer.alloc(0);
  let state = 'magic' as 'magic' | 'header' | 'data' | 'end';
  let copy: ReturnType<typeof copyFrom> | undefined;
  let table = '';
  let lastByte = 10;
  let trailer: Record<string, number> | undefined;

  const write = async (data: Buffer) => {
    if (!data.length) return;
    lastByte = data[data.length - 1]!;
    // A COPY the server refused (a bad row, a foreign key) stops the restore at once.
    if (copy!.errored) throw copy!.errored;
    if (!copy!.write(data)) await once(copy!, 'drain');
  };

  await pipeline(body, createGunzip(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (state === 'data') {
          let end = -1;
          if (lastByte === 10 && buf.length >= 3 && buf[0] === 0x5c && buf[1] === 0x2e && buf[2] === 10) end = 0;
          else {
            const i = buf.indexOf(TERM);
            if (i !== -1) end = i + 1;
          }
          if (end === -1) {
            // Keep a possible start of the end marker for the next chunk.
            const keep = Math.min(3, buf.length);
            await write(buf.subarray(0, buf.length - keep));
            buf = buf.subarray(buf.length - keep);
            break;
          }
          await write(buf.subarray(0, end));
          buf = buf.subarray(end + 3);
          const c = copy!;
          c.end();
          await finished(c);
          loaded[table] = c.rowCount;
          copy = undefined;
          state = 'header';
          continue;
        }
        const nl = buf.indexOf(10);
        if (nl === -1) {
          if (buf.length > 1024 * 1024) throw new RestoreError('damaged backup: a header line longer than 1 MB');
          break;
        }
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        if (state === 'magic') {
          if (!line.startsWith(MAGIC)) throw new RestoreError('not a store backup (or one of another format version)');
          state = 'header';
        } else if (state === 'header' && line.startsWith('TABLE ')) {
          const info = JSON.parse(line.slice(6)) as TableInfo;
          const want = expected.get(info.name);
          if (!want || want.columns.join(',') !== info.columns.join(',')) throw new RestoreError(`damaged backup: table ${info.name} does not match the manifest`);
          table = info.name;
          lastByte = 10;
          copy = client.query(copyFrom(`COPY ${ident(info.name)} (${columnList(info.columns)}) FROM STDIN`));
          copy.on('error', () => undefined); // seen by write/finished
          state = 'data';
        } else if (state === 'header' && line.startsWith('END ')) {
          trailer = (JSON.parse(line.slice(4)) as { tables: Record<string, number> }).tables;
          state = 'end';
        } else if (state === 'end' && line === '') {
          continue;
        } else {
          throw new RestoreError(`damaged backup: unexpected line after ${table || 'the header'}`);
        }
      }
    }
  });
  if (state !== 'end' || !trailer) throw new RestoreError('damaged backup: it ends before its last table');
  for (const t of manifest.tables) {
    if (trailer[t.name] !== t.rows) throw new RestoreError(`damaged backup: table ${t.name} has ${trailer[t.name]} rows in the file and ${t.rows} in the manifest`);
  }
  return loaded;
}
