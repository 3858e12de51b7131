import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createFixedClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, dropTestDatabase } from './database.js';

export interface TestContext {
  /** The test database, for a second "web process" on the same data. */
  url: string;
  config: Config;
  deps: Deps;
  app: Express;
  db: Deps['db'];
  clock: ReturnType<typeof createFixedClock>;
  /** A supertest agent that keeps cookies, like one browser. */
  agent(): ReturnType<typeof supertest.agent>;
  close(): Promise<void>;
}

/**
 * The real app on its own fresh database, wired by the same createDeps the server uses. Only the
 * clock (movable) and the log level (silent) differ from a development start.
 */
export async function createTestContext(env: NodeJS.ProcessEnv = {}): Promise<TestContext> {
  const url = await createTestDatabase();
  // Mail goes to a real SMTP server when a test gives SMTP_URL (see mailbox.ts); otherwise to a
  // closed local port, so a test that forgot a mailbox sees sends fail rather than files appear.
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'store-test-files-'));
  const config = loadConfig({ NODE_ENV: 'test', BASE_URL: 'http://store.test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', SMTP_URL: 'smtp://127.0.0.1:9', STORAGE_DIR: storageDir, ANALYTICS_LIVE_SECONDS: '0', ...env });
  const clock = createFixedClock(new Date('2026-11-24T10:00:00Z'));
  const deps = createDeps(config, { databaseUrl: url, logger: createLogger({ level: config.logLevel }), clock });
  const app = createApp(deps);
  return {
    url,
    config,
    deps,
    app,
    db: deps.db,
    clock,
    agent: () => supertest.agent(app),
    async close() {
      await deps.close();
      await dropTestDatabase(url);
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Fetches a CSRF token for an agent's session, as page scripts do. */
export async function csrfFor(agent: ReturnType<typeof supertest.agent>): Promise<string> {
  const res = await agent.get('/api/auth/csrf').expect(200);
  return (res.body as { csrfToken: string }).csrfToken;
}
