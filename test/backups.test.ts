import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { createDb, type Db } from '../src/db/knex.js';
import { seedDemoCatalog } from '../seeds/demo-catalog.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/lib/logger.js';
import { backupDatabaseJob } from '../jobs/backup-database.js';
import { manifestKeyOf, restoreDatabase, RestoreError, type BackupManifest } from '../src/services/backup-dump.js';
import { backupsToKeep } from '../src/services/backup-retention.js';
import { createLocalBackupStorage, type BackupStorage } from '../src/services/backup-storage.js';
import { apiLogin, makeUser, uniqueEmail } from './support/accounts.js';
import { createTestContext, type TestContext } from './support/context.js';
import { createTestDatabase, dropTestDatabase } from './support/database.js';
import { makeProduct } from './support/factories.js';
import { startS3 } from './support/s3.js';

/** The store's database as rows of every table, for comparing a restore with its source. */
async function rowsOf(db: Db, table: string, orderBy = 'id') {
  return db(table).select('*').orderBy(orderBy);
}

async function fill(t: TestContext) {
  await seedDemoCatalog(t.db);
  // Text COPY must carry: newlines, tabs, backslashes, a lone "\." line, quotes, Unicode, NULLs.
  await makeProduct(t.db, { title: 'Tricky ₹ “quotes”', summary: 'tab\there', description: 'line one\n\\.\nline \\ three\r\nend' });
  const user = await makeUser(t.db, { email: uniqueEmail('backup'), name: 'Zoë O\'Brien \\ 🙂' });
  const [order] = await t.db('orders').insert({ user_id: user.id, status: 'paid', subtotal_paise: 49_900, total_paise: 49_900 }).returning('id');
  await t.db('orders').insert({ user_id: user.id, status: 'pending', subtotal_paise: 100, total_paise: 100 });
  // A deleted row: its id must not be handed out again after a restore.
  await t.db('orders').where({ status: 'pending' }).delete();
  return { user, orderId: (order as { id: number }).id };
}

async function freshTarget(): Promise<{ url: string; db: Db; close(): Promise<void> }> {
  const url = await createTestDatabase({ migrated: false });
  const db = createDb({ url, poolMax: 2 });
  return { url, db, close: async () => { await db.destroy(); await dropTestDatabase(url); } };
}

describe('database backups (issue 14, items 4–6)', function () {
  this.timeout(120_000);

  describe('backup and restore on local disk', () => {
    let t: TestContext;
    let dir: string;
    let manifest: BackupManifest;
    let storage: BackupStorage;
    let orderId: number;

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'store-backups-'));
      t = await createTestContext({ BACKUP_DIR: dir });
      ({ orderId } = await fill(t));
      storage = createLocalBackupStorage(dir);
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('backs up the store into BACKUP_DIR with a manifest (rows counted, size, sha256, schema version)', async () => {
      const started = Date.now();
      const { backup, done } = await t.deps.services.backups.start('cli');
      expect(backup.status).to.equal('running');
      const b = await done;
      const ms = Date.now() - started;
      expect(b.status, b.error ?? '').to.equal('done');
      expect(b.key).to.match(/^backups\/\d{4}\/\d{2}\/\d{8}-\d{6}-[0-9a-f]{8}\.copy\.gz$/);
      const file = path.join(dir, b.key.slice('backups/'.length));
      const bytes = readFileSync(file);
      expect(bytes.length).to.equal(b.size_bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).to.equal(b.sha256);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      manifest = JSON.parse(readFileSync(path.join(dir, manifestKeyOf(b.key).slice('backups/'.length)), 'utf8')) as BackupManifest;
      expect(manifest).to.include({ format: 'razorshop-backup', formatVersion: 1, key: b.key, sha256: b.sha256, sizeBytes: b.size_bytes });
      const latest = (await t.db('knex_migrations').orderBy('id', 'desc').first('name')) as { name: string };
      expect(manifest.schemaVersion).to.equal(latest.name);
      const names = manifest.tables.map((x) => x.name);
      expect(names).to.include.members(['products', 'categories', 'users', 'orders', 'backups']);
      expect(names).to.not.include.members(['session', 'agenda_jobs', 'knex_migrations']);
      // Parents come before children.
      expect(names.indexOf('categories')).to.be.lessThan(names.indexOf('products'));
      expect(names.indexOf('users')).to.be.lessThan(names.indexOf('orders'));
      for (const table of manifest.tables) {
        const [{ n }] = (await t.db(table.name).count({ n: '*' })) as [{ n: number }];
        expect(table.rows, table.name).to.equal(Number(n));
      }
      expect(b.row_count).to.equal(manifest.totalRows);
      expect(b.table_counts!.products).to.equal(manifest.tables.find((x) => x.name === 'products')!.rows);
      // The stream format: a header, then each table's COPY data up to "\.", then the counts.
      const text = gunzipSync(bytes).toString('utf8');
      expect(text.startsWith('RAZORSHOP-BACKUP 1 {')).to.equal(true);
      expect(text).to.include('TABLE {"name":"products","columns":[');
      expect(text.trimEnd().split('\n').at(-1)).to.match(/^END \{"tables":\{/);
      console.log(`      demo store backup: ${manifest.totalRows} rows, ${bytes.length} bytes gzip, ${ms} ms`);
    });

    it('restores into a fresh empty database: same rows in every table, same content, working sequences', async () => {
      const target = await freshTarget();
      try {
        const result = await restoreDatabase({ target: { url: target.url }, db: target.db, storage, key: manifest.key });
        expect(result.tables.every((x) => x.rows === x.expected)).to.equal(true);
        for (const table of manifest.tables) {
          const [{ n }] = (await target.db(table.name).count({ n: '*' })) as [{ n: number }];
          expect(Number(n), table.name).to.equal(table.rows);
        }
        expect(await rowsOf(target.db, 'products')).to.deep.equal(await rowsOf(t.db, 'products'));
        expect(await rowsOf(target.db, 'categories')).to.deep.equal(await rowsOf(t.db, 'categories'));
        expect(await rowsOf(target.db, 'users')).to.deep.equal(await rowsOf(t.db, 'users'));
        // Generated columns and trigger-kept tables come out as in the source.
        expect(await rowsOf(target.db, 'category_tag_counts', 'category_id')).to.deep.equal(await rowsOf(t.db, 'category_tag_counts', 'category_id'));
        const tricky = (await target.db('products').where({ title: 'Tricky ₹ “quotes”' }).first()) as { description: string; summary: string };
        expect(tricky.description).to.equal('line one\n\\.\nline \\ three\r\nend');
        // The schema is at the backup's version.
        const latest = (await target.db('knex_migrations').orderBy('id', 'desc').first('name')) as { name: string };
        expect(latest.name).to.equal(manifest.schemaVersion);
        // Sequences: new rows get fresh ids, past every id ever handed out (the deleted order too).
        const [cat] = await target.db('categories').insert({ slug: 'after-restore', name: 'After restore' }).returning('id');
        const maxCat = (await t.db('categories').max({ m: 'id' }).first()) as { m: number };
        expect((cat as { id: number }).id).to.be.greaterThan(maxCat.m);
        const [o] = await target.db('orders').insert({ user_id: (await target.db('users').first('id')).id, status: 'pending', subtotal_paise: 1, total_paise: 1 }).returning('id');
        expect((o as { id: number }).id).to.be.greaterThan(orderId + 1);
        // The backup's own row was "running" in its snapshot; restored, it says done.
        const own = (await target.db('backups').where({ key: manifest.key }).first()) as { status: string; sha256: string };
        expect(own).to.include({ status: 'done', sha256: manifest.sha256 });
      } finally {
        await target.close();
      }
    });

    it('refuses a database that has rows, and --force replaces them (sessions too)', async () => {
      // The source database itself is not empty.
      let refused: unknown;
      try {
        await restoreDatabase({ target: { url: t.url }, db: t.db, storage, key: manifest.key });
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(RestoreError);
      expect((refused as Error).message).to.match(/not empty/);

      const target = await freshTarget();
      try {
        await restoreDatabase({ target: { url: target.url }, db: target.db, storage, key: manifest.key });
        await target.db('categories').insert({ slug: 'stray', name: 'Stray' });
        await target.db('session').insert({ sid: 'stray-session', sess: JSON.stringify({ cookie: {}, passport: { user: 1 } }), expire: new Date(Date.now() + 3600_000) });
        let again: unknown;
        try {
          await restoreDatabase({ target: { url: target.url }, db: target.db, storage, key: manifest.key });
        } catch (err) {
          again = err;
        }
        expect((again as Error).message).to.match(/not empty/);
        await restoreDatabase({ target: { url: target.url }, db: target.db, storage, key: manifest.key, force: true });
        expect(await target.db('categories').where({ slug: 'stray' }).first()).to.equal(undefined);
        expect(await target.db('session').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
        expect(await rowsOf(target.db, 'categories')).to.deep.equal(await rowsOf(t.db, 'categories'));
      } finally {
        await target.close();
      }
    });

    it('the restore drill restores the newest backup into a scratch database and marks it verified', async () => {
      const before = ((await t.db.raw("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'restore_drill_%'")) as { rows: { n: number }[] }).rows[0]!.n;
      const result = await t.deps.services.backups.drillIfDue();
      expect(result?.status, result?.detail).to.equal('passed');
      const row = (await t.db('backups').where({ key: manifest.key }).first()) as { verified_at: Date | null; drill_status: string; drill_detail: string };
      expect(row.verified_at).to.be.instanceOf(Date);
      expect(row.drill_status).to.equal('passed');
      expect(row.drill_detail).to.match(/tables, \d+ rows restored/);
      // The scratch database is gone, and a second drill the same week does nothing.
      const after = ((await t.db.raw("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'restore_drill_%'")) as { rows: { n: number }[] }).rows[0]!.n;
      expect(after).to.equal(before);
      expect(await t.deps.services.backups.drillIfDue()).to.equal(undefined);
      expect(await t.db('alerts').where({ kind: 'restore_drill_failed' }).first()).to.equal(undefined);
    });

    it('the drill raises restore_drill_failed on a damaged backup (bytes dropped → checksum mismatch)', async () => {
      const { done } = await t.deps.services.backups.start('cli');
      const b = await done;
      const file = path.join(dir, b.key.slice('backups/'.length));
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 100));
      t.clock.advance(8 * 24 * 3600_000);
      const result = await t.deps.services.backups.drillIfDue();
      expect(result?.status).to.equal('failed');
      expect(result?.backupId).to.equal(b.id);
      expect(result?.detail).to.match(/checksum mismatch/);
      const alert = (await t.db('alerts').where({ kind: 'restore_drill_failed' }).orderBy('id', 'desc').first()) as { detail: { backupId: number; error: string } };
      expect(alert.detail.backupId).to.equal(b.id);
      const row = (await t.db('backups').where({ id: b.id }).first()) as { verified_at: Date | null; drill_status: string };
      expect(row).to.include({ verified_at: null, drill_status: 'failed' });
    });

    it('the drill raises restore_drill_failed when a table holds other rows than its manifest says (a row removed)', async () => {
      const { done } = await t.deps.services.backups.start('cli');
      const b = await done;
      const file = path.join(dir, b.key.slice('backups/'.length));
      const text = gunzipSync(readFileSync(file)).toString('utf8');
      // Remove the first data row of a table nothing refers to, and make the checksum match again (a bug, not an attacker).
      const at = text.indexOf('TABLE {"name":"category_tag_counts"');
      const rowStart = text.indexOf('\n', at) + 1;
      const rowEnd = text.indexOf('\n', rowStart) + 1;
      const damaged = gzipSync(Buffer.from(text.slice(0, rowStart) + text.slice(rowEnd), 'utf8'));
      writeFileSync(file, damaged);
      const mfile = path.join(dir, manifestKeyOf(b.key).slice('backups/'.length));
      const m = JSON.parse(readFileSync(mfile, 'utf8')) as BackupManifest;
      writeFileSync(mfile, JSON.stringify({ ...m, sizeBytes: damaged.length, sha256: createHash('sha256').update(damaged).digest('hex') }));
      t.clock.advance(8 * 24 * 3600_000);
      const result = await t.deps.services.backups.drillIfDue();
      expect(result?.status).to.equal('failed');
      expect(result?.detail).to.match(/category_tag_counts/);
      const alerts = await t.db('alerts').where({ kind: 'restore_drill_failed' }).whereRaw("detail->>'backupId' = ?", [String(b.id)]);
      expect(alerts).to.have.length(1);
    });
  });

  describe('on S3 (s3rver)', () => {
    let s3: Awaited<ReturnType<typeof startS3>>;
    let t: TestContext;

    before(async () => {
      s3 = await startS3('store-files');
      t = await createTestContext({ ...s3.env });
      await fill(t);
    });
    after(async () => {
      await t?.close();
      await s3?.close();
    });

    it('backs up into the bucket under backups/ and restores into a fresh database with the same rows', async () => {
      const { done } = await t.deps.services.backups.start('cli');
      const b = await done;
      expect(b.status, b.error ?? '').to.equal('done');
      expect(b.storage).to.equal('s3');
      // The object and its manifest are in the bucket, under backups/.
      const stored = readdirSync(path.join(s3.directory, 'store-files'), { recursive: true }).map(String);
      expect(stored.some((f) => f.startsWith('backups') && f.includes(path.basename(b.key)))).to.equal(true);
      expect(stored.some((f) => f.includes(path.basename(manifestKeyOf(b.key))))).to.equal(true);

      const target = await freshTarget();
      try {
        const result = await restoreDatabase({ target: { url: target.url }, db: target.db, storage: t.deps.services.backups.storage, key: b.key });
        expect(result.tables.length).to.be.greaterThan(10);
        for (const x of result.tables) {
          const [{ n }] = (await t.db(x.name).count({ n: '*' })) as [{ n: number }];
          if (x.name !== 'backups') expect(x.rows, x.name).to.equal(Number(n));
        }
        expect(await rowsOf(target.db, 'products')).to.deep.equal(await rowsOf(t.db, 'products'));
        expect(await rowsOf(target.db, 'orders')).to.deep.equal(await rowsOf(t.db, 'orders'));
      } finally {
        await target.close();
      }
    });
  });

  describe('retention: 7 daily, 4 weekly, 12 monthly', () => {
    // Daily backups at 02:30 India time (21:00 UTC the day before) through 2026.
    const at = (day: string) => new Date(new Date(`${day}T02:30:00+05:30`).getTime());
    const year: Date[] = [];
    for (let d = new Date('2026-01-01T00:00:00Z'); d.getUTCFullYear() === 2026; d = new Date(d.getTime() + 86_400_000)) year.push(at(d.toISOString().slice(0, 10)));
    const expected = [
      '2026-12-31', '2026-12-30', '2026-12-29', '2026-12-28', '2026-12-27', '2026-12-26', '2026-12-25', // the last 7 days
      '2026-12-20', '2026-12-13', // the Sundays closing the 2 older of the last 4 ISO weeks (this one and last are in the 7 days)
      '2026-11-30', '2026-10-31', '2026-09-30', '2026-08-31', '2026-07-31', '2026-06-30', '2026-05-31', '2026-04-30', '2026-03-31', '2026-02-28', '2026-01-31', // month ends
    ];
    const days = (kept: Set<number>) => [...kept].sort((a, b) => b - a).map((ms) => new Date(ms + 330 * 60_000).toISOString().slice(0, 10));

    it('keeps exactly the newest of each of the last 7 days, 4 ISO weeks and 12 months after a year of daily backups', () => {
      const now = new Date('2026-12-31T10:00:00+05:30'); // a Thursday
      expect(days(backupsToKeep(year, now))).to.deep.equal(expected);
    });

    it('gives the same set when applied after every daily backup on a moving clock (deleting as it goes)', () => {
      let stored: Date[] = [];
      for (const b of year) {
        stored.push(b);
        const now = new Date(b.getTime() + 10 * 60_000);
        const keep = backupsToKeep(stored, now);
        stored = stored.filter((s) => keep.has(s.getTime()));
        expect(stored.length).to.be.at.most(7 + 4 + 12);
      }
      expect(days(new Set(stored.map((s) => s.getTime())))).to.deep.equal(expected);
      // A month later (no new backups, say they stopped): the last one is still kept, month ends roll off.
      const later = backupsToKeep(stored, new Date('2027-02-15T12:00:00+05:30'));
      expect(days(later)).to.include('2026-12-31').and.not.include('2026-01-31');
      expect(days(later)).to.not.include('2026-12-30');
    });

    it('keeps several backups of one day only once (the newest) and anything dated after now', () => {
      const now = new Date('2026-06-10T12:00:00+05:30');
      const times = [new Date('2026-06-10T02:30:00+05:30'), new Date('2026-06-10T11:00:00+05:30'), new Date('2026-06-11T02:30:00+05:30')];
      expect([...backupsToKeep(times, now)].sort()).to.deep.equal([times[1]!.getTime(), times[2]!.getTime()].sort());
    });

    it('the service deletes what is not kept from storage and marks it deleted', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'store-backups-'));
      const t = await createTestContext({ BACKUP_DIR: dir });
      try {
        const storage = createLocalBackupStorage(dir);
        // Twenty days of backups (files made by hand), the clock at the last one.
        const ids: number[] = [];
        for (let i = 0; i < 20; i++) {
          const day = new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10);
          const key = `backups/2026/11/${day.replace(/-/g, '')}-210000-0000000${i % 10}.copy.gz`;
          await storage.putJson(key, { fake: i });
          await storage.putJson(manifestKeyOf(key), { fake: i });
          const [row] = await t.db('backups').insert({ slot: `daily:${day}`, trigger: 'scheduled', status: 'done', storage: 'local', key, started_at: at(day), finished_at: at(day) }).returning('id');
          ids.push((row as { id: number }).id);
        }
        t.clock.set(new Date('2026-11-20T10:00:00+05:30')); // Friday
        const deleted = await t.deps.services.backups.applyRetention();
        // Kept: 14–20 Nov (7 days), Sun 8 Nov (ISO week 2–8), Sun 1 Nov (week 26 Oct–1 Nov); the month's newest is the 20th.
        const keptDays = ['2026-11-20', '2026-11-19', '2026-11-18', '2026-11-17', '2026-11-16', '2026-11-15', '2026-11-14', '2026-11-08', '2026-11-01'];
        const rows = (await t.db('backups').orderBy('started_at')) as { id: number; status: string; key: string; slot: string; deleted_at: Date | null }[];
        for (const r of rows) {
          const kept = keptDays.includes(r.slot.slice(6));
          expect(r.status, r.slot).to.equal(kept ? 'done' : 'deleted');
          const file = path.join(dir, r.key.slice('backups/'.length));
          let exists = true;
          try {
            statSync(file);
          } catch {
            exists = false;
          }
          expect(exists, r.slot).to.equal(kept);
        }
        expect(deleted).to.have.length(20 - keptDays.length);
      } finally {
        await t.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('the daily job', () => {
    let dir: string;
    let t: TestContext;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'store-backups-'));
      t = await createTestContext({ BACKUP_DIR: dir, BACKUP_HOUR_IST: '02:30' });
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('waits for BACKUP_HOUR_IST, then makes one backup a day even when called twice at once', async () => {
      t.clock.set(new Date('2026-12-02T02:00:00+05:30'));
      expect(await t.deps.services.backups.runScheduled()).to.equal(undefined);
      expect(await t.db('backups').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
      t.clock.set(new Date('2026-12-02T02:31:00+05:30'));
      const [a, b] = await Promise.all([t.deps.services.backups.runScheduled(), t.deps.services.backups.runScheduled()]);
      expect([a, b].filter(Boolean)).to.have.length(1);
      expect((a ?? b)!.status).to.equal('done');
      // Later the same day: nothing more. The next day: one more.
      t.clock.set(new Date('2026-12-02T23:00:00+05:30'));
      expect(await t.deps.services.backups.runScheduled()).to.equal(undefined);
      t.clock.set(new Date('2026-12-03T03:00:00+05:30'));
      expect((await t.deps.services.backups.runScheduled())?.slot).to.equal('daily:2026-12-03');
      expect(await t.db('backups').orderBy('id').pluck('slot')).to.deep.equal(['daily:2026-12-02', 'daily:2026-12-03']);
    });

    it('two workers (each its own deps and pools, as two processes) make one backup for the day', async () => {
      t.clock.set(new Date('2026-12-04T04:00:00+05:30'));
      const other = createDeps(t.config, { databaseUrl: t.url, logger: createLogger({ level: 'silent' }), clock: t.clock });
      try {
        // What each worker's backup-database job does at the same tick.
        const results = await Promise.all([t.deps.services.backups.runScheduled(), other.services.backups.runScheduled(), t.deps.services.backups.runScheduled(), other.services.backups.runScheduled()]);
        expect(results.filter(Boolean)).to.have.length(1);
      } finally {
        await other.close();
      }
      const rows = (await t.db('backups').where('slot', 'like', 'daily:2026-12-04%')) as { status: string }[];
      expect(rows).to.have.length(1);
      expect(rows[0]!.status).to.equal('done');
      expect(backupDatabaseJob).to.include({ name: 'backup-database', every: '10 minutes' });
    });

    it('a failed backup is marked failed, leaves no file and raises backup_failed', async () => {
      // Storage that refuses every write: BACKUP_DIR is a file.
      const file = path.join(dir, 'not-a-folder');
      writeFileSync(file, 'x');
      const broken = await createTestContext({ BACKUP_DIR: file });
      try {
        const { done } = await broken.deps.services.backups.start('cli');
        const b = await done;
        expect(b.status).to.equal('failed');
        expect(b.error).to.be.a('string').and.not.equal('');
        const alert = (await broken.db('alerts').where({ kind: 'backup_failed' }).first()) as { detail: { backupId: number } } | undefined;
        expect(alert?.detail.backupId).to.equal(b.id);
        // Not running any more: the next one may start.
        const next = await broken.deps.services.backups.start('cli');
        expect((await next.done).status).to.equal('failed');
      } finally {
        await broken.close();
      }
    });
  });

  describe('admin page /admin/backups', () => {
    let dir: string;
    let t: TestContext;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'store-backups-'));
      t = await createTestContext({ BACKUP_DIR: dir });
    });
    after(async () => {
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is for admins only (a customer: 403 JSON, pages send to sign-in; a guest likewise)', async () => {
      const user = await makeUser(t.db, { email: uniqueEmail('cust') });
      const agent = t.agent();
      const token = (await apiLogin(agent, user.email, user.password)).body.csrfToken as string;
      // Pages send a non-admin to sign in as an admin; JSON answers 403.
      const page = await agent.get('/admin/backups').expect(303);
      expect(String(page.headers.location)).to.match(/^\/login\?next=/);
      await agent.get('/api/admin/backups').expect(403);
      await agent.post('/api/admin/backups').set('X-CSRF-Token', token).send({}).expect(403);
      await agent.post('/admin/backups').type('form').send({ _csrf: token }).expect(303);
      expect(await t.db('backups').count({ n: '*' }).first()).to.deep.equal({ n: 0 });
      const guest = await t.agent().get('/admin/backups');
      expect(guest.status).to.be.oneOf([302, 303, 401]);
    });

    it('shows the empty state, starts a backup with "Back up now" (CSRF, audited), refuses a second while one runs, then lists it', async () => {
      const admin = await makeUser(t.db, { role: 'admin', email: uniqueEmail('boss') });
      const agent = t.agent();
      const token = (await apiLogin(agent, admin.email, admin.password)).body.csrfToken as string;
      const empty = await agent.get('/admin/backups').expect(200);
      expect(empty.text).to.include('data-empty').and.include('Back up now').and.include('href="/admin/backups"');
      // Without the CSRF token: refused, nothing started.
      await agent.post('/admin/backups').type('form').send({}).expect(403);
      expect(await t.db('backups').count({ n: '*' }).first()).to.deep.equal({ n: 0 });

      // While one is running, a second is refused with 409.
      const running = await t.deps.models.backups.claim({ slot: 'manual:held', trigger: 'manual', storage: 'local', key: 'backups/held.copy.gz', started_at: t.clock.now() });
      const busy = await agent.post('/admin/backups').type('form').send({ _csrf: token });
      expect(busy.status).to.equal(409);
      await t.db('backups').where({ id: running!.id }).delete();

      const res = await agent.post('/admin/backups').type('form').send({ _csrf: token }).expect(303);
      expect(res.headers.location).to.equal('/admin/backups');
      const row = (await t.db('backups').orderBy('id', 'desc').first()) as { id: number; trigger: string; requested_by: number };
      expect(row).to.include({ trigger: 'manual', requested_by: admin.id });
      const audit = await t.db('audit_log').where({ entity_type: 'backup', entity_id: row.id, action: 'backup', actor_id: admin.id });
      expect(audit).to.have.length(1);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && ((await t.db('backups').where({ id: row.id }).first()) as { status: string }).status === 'running') await new Promise((r) => setTimeout(r, 100));
      const page = await agent.get('/admin/backups').expect(200);
      expect(page.text).to.include('Backup started').and.include(`data-backup-id="${row.id}"`).and.include('Done').and.include('Not yet verified');
      expect(page.text).to.match(/\d+(\.\d)? (KB|MB|bytes)/);
      // No way to download a backup from the browser (it holds personal data).
      expect(page.text).to.not.match(/href="[^"]*\.copy\.gz/);
      expect(page.text).to.not.match(/href="\/(api\/)?admin\/backups\/\d/);
      // Verified after a drill.
      await t.deps.services.backups.drillIfDue({ force: true });
      const verified = await agent.get('/admin/backups').expect(200);
      expect(verified.text).to.include('Verified');
      // JSON for scripts.
      const api = await agent.get('/api/admin/backups').expect(200);
      expect(api.body.items[0]).to.include({ id: row.id, status: 'done', drillStatus: 'passed' });
    });
  });
});
