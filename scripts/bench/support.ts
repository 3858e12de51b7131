/**
 * What both benchmarks share: a temporary embedded PostgreSQL, a private production build, and
 * servers started as their own processes (the load generator is this process, never the server's).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { rootDir } from '../../src/lib/paths.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A throw-away PostgreSQL in a temp folder (default settings, as a newcomer's embedded one). */
export async function startBenchDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'store-bench-'));
  chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), persistent: false });
  await pg.ensureDatabase('bench');
  return {
    url: pg.urlFor('bench'),
    async stop() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Compiles the app as production runs it, into a private folder (not the repo's dist/). */
export function buildProduction(): string {
  const out = path.join(rootDir, 'node_modules', '.cache', 'store-bench-build');
  rmSync(out, { recursive: true, force: true });
  const started = Date.now();
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out], { cwd: rootDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  console.log(`built the production server in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

/**
 * The node flags the Procfile's web line gives the server (its heap size), so the bench runs
 * the server as a deploy does.
 */
export function procfileWebNodeArgs(): string[] {
  const web = /^web:\s*node\s+(.*)$/m.exec(readFileSync(path.join(rootDir, 'Procfile'), 'utf8'))?.[1] ?? '';
  return web
    .split(/\s+/)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/\$\{(\w+):-([^}]*)\}/g, (_m, name: string, fallback: string) => process.env[name] ?? fallback));
}

/** The environment a production deploy has, pointed at the bench database. */
export function productionEnv(databaseUrl: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    SESSION_SECRET: 'b'.repeat(40),
    BASE_URL: `http://127.0.0.1:${port}`,
    // Behind a TLS-terminating proxy, as on a PaaS: the bench says X-Forwarded-Proto: https.
    TRUST_PROXY: '1',
    SMTP_URL: 'smtp://127.0.0.1:1',
    MAIL_FROM: 'Bench <bench@localhost>',
    RAZORPAY_KEY_ID: 'rzp_live_Bench1',
    RAZORPAY_KEY_SECRET: 'k',
    RAZORPAY_WEBHOOK_SECRET: 'w',
    DATA_ENCRYPTION_KEY: 'f'.repeat(64),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** What the process printed so far (its logs). */
  output(): string;
  /** Resident memory of the server process now, in MB (from /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

/** Starts `node <script>` on env.PORT and waits until `readyPath` answers 200. */
export async function startServerProcess(script: string, env: NodeJS.ProcessEnv, readyPath: string, nodeArgs: string[] = procfileWebNodeArgs()): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script], { cwd: rootDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = Number(env.PORT);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`${script} did not start:\n${out}`);
    const up = await fetch(`http://127.0.0.1:${port}${readyPath}`).then((r) => r.status === 200, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => out,
    rssMb() {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      return Math.round(kb / 1024);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Signs a user in through the API and returns the cookie and CSRF token to act as them. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<{ cookie: string; csrfToken: string }> {
  const https = { 'X-Forwarded-Proto': 'https' };
  const first = await fetch(baseUrl + '/api/auth/csrf', { headers: https });
  const firstCookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
  const firstToken = ((await first.json()) as { csrfToken: string }).csrfToken;
  const login = await fetch(baseUrl + '/api/auth/login', {
    method: 'POST',
    headers: { ...https, 'Content-Type': 'application/json', 'X-CSRF-Token': firstToken, Cookie: firstCookie },
    body: JSON.stringify({ email, password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (login.status !== 200 || !cookie.startsWith('sid=')) throw new Error(`bench sign-in failed: ${login.status} ${await login.text()}`);
  return { cookie, csrfToken: ((await login.json()) as { csrfToken: string }).csrfToken };
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
