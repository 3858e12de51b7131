/**
 * A newsletter sender in its own process, for the crash test: boots the app's dependencies
 * against NEWSLETTER_WORKER_DB (a test database) with the environment's SMTP_URL and
 * NEWSLETTER_* settings, then runs the send-newsletter job's work in a loop until no issue is
 * being sent. The test kills it with SIGKILL mid-send and starts another.
 */
import { loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { createLogger } from '../../src/lib/logger.js';

const databaseUrl = process.env.NEWSLETTER_WORKER_DB;
if (!databaseUrl) throw new Error('NEWSLETTER_WORKER_DB is required');
const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
const deps = createDeps(config, { databaseUrl, logger: createLogger({ level: config.logLevel }) });
try {
  for (;;) {
    const r = await deps.services.newsletterIssues.tick({ budgetMs: 5_000 });
    process.stdout.write(`${JSON.stringify({ sent: r.sent, sending: r.sending, finished: r.finished })}\n`);
    if (!r.sending.length) break;
    // Rows waiting for their lease or a retry: look again shortly.
    if (!r.sent) await new Promise((res) => setTimeout(res, 200));
  }
} finally {
  await deps.close();
}
