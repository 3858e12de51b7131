import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/bootstrap.js';
import { createDeps, type Deps } from './deps.js';
import { createLogger, flushLogger, type Logger } from './lib/logger.js';

export interface Booted {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  deps: Deps;
  /** Closes pools, then stops the embedded database if this process started it. */
  shutdown(): Promise<void>;
}

/** Reads the config or exits with a message that names each bad variable. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`\n${err.message}\n\nSee .env.example for every setting.\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The start shared by the web server, the worker and the CLI commands. */
export async function boot(): Promise<Booted> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, pretty: config.logFormat === 'pretty', file: config.logFile });
  const database = await openDatabase(config, logger);
  const deps = createDeps(config, { databaseUrl: database.url, logger });
  return {
    config,
    logger,
    database,
    deps,
    async shutdown() {
      await deps.close();
      await database.stop();
      // With LOG_FILE the lines sit in a transport thread's buffer: hand them over before exit.
      await flushLogger(logger);
    },
  };
}
