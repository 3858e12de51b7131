import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { rootDir } from '../src/lib/paths.js';
import { createTestDatabase, dropTestDatabase, freePort } from './support/database.js';

/**
 * The real entry points as the Procfile and the README run them, in child processes:
 * the compiled production server and release step, and the development start on DATABASE_URL.
 */

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const BUILD_DIR = path.join(rootDir, 'node_modules', '.cache', `store-test-build-${process.pid}`);

const BASE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info' };

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(cmd, args, { cwd: rootDir, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(r: Running, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(r.output())) {
    if (r.child.exitCode !== null) throw new Error(`process exited (${r.child.exitCode}) before ${pattern}:\n${r.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('entry points (child processes)', function () {
  this.timeout(120_000);

  describe('production build (Procfile: release, web)', () => {
    let url: string;
    before(function () {
      this.timeout(180_000);
      // A private build (not the repo's dist/, which a developer may be using), inside the repo
      // so its imports still find node_modules.
      rmSync(BUILD_DIR, { recursive: true, force: true });
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd: rootDir, encoding: 'utf8' });
      expect(build.status, build.stdout + build.stderr).to.equal(0);
    });
    before(async () => {
      url = await createTestDatabase({ migrated: false });
    });
    after(async () => {
      await dropTestDatabase(url);
      rmSync(BUILD_DIR, { recursive: true, force: true });
    });

    it('refuses to start without SESSION_SECRET and DATABASE_URL, naming them', async () => {
      const r = run('node', [path.join(BUILD_DIR, 'src/server.js')], { ...BASE_ENV, NODE_ENV: 'production' });
      expect(await r.exited).to.equal(1);
      expect(r.output()).to.include('SESSION_SECRET').and.include('DATABASE_URL');
    });

    it('release migrates an empty database; web serves it behind a proxy and stops cleanly on SIGTERM', async () => {
      const env = { ...BASE_ENV, NODE_ENV: 'production', DATABASE_URL: url, SESSION_SECRET: 's'.repeat(48), BASE_URL: 'https://shop.example.com', SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'Shop <shop@example.com>', RAZORPAY_KEY_ID: 'rzp_live_Test1234', RAZORPAY_KEY_SECRET: 'k', RAZORPAY_WEBHOOK_SECRET: 'w', DATA_ENCRYPTION_KEY: 'e'.repeat(64) };
      const release = run('node', [path.join(BUILD_DIR, 'src/cli/migrate.js')], env);
      expect(await release.exited, release.output()).to.equal(0);
      expect(release.output()).to.match(/Applied: .*catalog/);

      const port = await freePort();
      const web = run('node', [path.join(BUILD_DIR, 'src/server.js')], { ...env, PORT: String(port) });
      try {
        await waitFor(web, /store ready/, 20_000);
        const home = await fetch(`http://127.0.0.1:${port}/`);
        expect(home.status).to.equal(200);
        expect(home.headers.get('strict-transport-security')).to.match(/max-age=/);
        // Behind the PaaS router (one trusted hop) the session cookie is Secure.
        const csrf = await fetch(`http://127.0.0.1:${port}/api/auth/csrf`, { headers: { 'X-Forwarded-Proto': 'https' } });
        expect(csrf.status).to.equal(200);
        expect(csrf.headers.get('set-cookie')).to.match(/; Secure/).and.match(/HttpOnly/);
        // Production never seeds demo data or a dev admin.
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const counts = await client.query('SELECT (SELECT count(*) FROM products) AS products, (SELECT count(*) FROM users) AS users');
        await client.end();
        expect(counts.rows[0]).to.deep.equal({ products: 0, users: 0 });
        expect(web.output()).not.to.include('Dev admin');
      } finally {
        web.child.kill('SIGTERM');
      }
      expect(await web.exited, web.output()).to.equal(0);
      expect(web.output()).to.include('stopped');
    });
  });

  describe('development start on DATABASE_URL', () => {
    it('uses that database, seeds the demo catalog, creates nothing under the embedded folder', async function () {
      this.timeout(60_000);
      const url = await createTestDatabase({ migrated: false });
      const embeddedDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'store-unused-')), 'postgres');
      const port = await freePort();
      const r = run(path.join(rootDir, 'node_modules/.bin/tsx'), ['src/server.ts'], {
        ...BASE_ENV,
        NODE_ENV: 'development',
        DATABASE_URL: url,
        PORT: String(port),
        EMBEDDED_PG_DIR: embeddedDir,
        STORAGE_DIR: path.join(path.dirname(embeddedDir), 'storage'),
      });
      try {
        await waitFor(r, /Dev admin/, 40_000);
        const res = await fetch(`http://127.0.0.1:${port}/api/products?pageSize=1`);
        expect(((await res.json()) as { total: number }).total).to.be.at.least(30);
        expect(existsSync(embeddedDir), 'embedded folder').to.equal(false);
        expect(r.output()).to.include('"database":"DATABASE_URL"');
      } finally {
        r.child.kill('SIGTERM');
        await r.exited;
        await dropTestDatabase(url);
      }
    });
  });
});

describe('create-admin command', function () {
  this.timeout(60_000);
  it('creates an admin from ADMIN_PASSWORD, refuses a weak one, and promotes an existing user', async () => {
    const url = await createTestDatabase();
    const env = { ...BASE_ENV, NODE_ENV: 'development', DATABASE_URL: url, LOG_LEVEL: 'warn' };
    const tsx = path.join(rootDir, 'node_modules/.bin/tsx');
    try {
      const weak = run(tsx, ['src/cli/create-admin.ts', '--email', 'boss@example.test'], { ...env, ADMIN_PASSWORD: 'password' });
      expect(await weak.exited).to.equal(2);
      expect(weak.output()).to.include('too common');

      const ok = run(tsx, ['src/cli/create-admin.ts', '--email', 'boss@example.test', '--name', 'Boss'], { ...env, ADMIN_PASSWORD: 'a long admin passphrase' });
      expect(await ok.exited, ok.output()).to.equal(0);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const row = (await client.query("SELECT role, name, email_verified_at, password_hash FROM users WHERE email = 'boss@example.test'")).rows[0];
      expect(row).to.include({ role: 'admin', name: 'Boss' });
      expect(row.email_verified_at).to.be.instanceOf(Date);
      expect(row.password_hash).to.match(/^\$argon2id\$/);

      await client.query("INSERT INTO users (email, name, password_hash, role) VALUES ('promote@example.test', 'P', 'x', 'user')");
      const promote = run(tsx, ['src/cli/create-admin.ts', '--email', 'promote@example.test'], { ...env, ADMIN_PASSWORD: 'another admin passphrase' });
      expect(await promote.exited, promote.output()).to.equal(0);
      expect((await client.query("SELECT role FROM users WHERE email = 'promote@example.test'")).rows[0].role).to.equal('admin');
      await client.end();
    } finally {
      await dropTestDatabase(url);
    }
  });
});
