import { loadConfig } from '../../src/config.js';
import { createLogger, flushLogger } from '../../src/lib/logger.js';

/**
 * Run by test/log-rotation.test.ts in a child process: builds the logger as boot() does from
 * this process's environment, writes LINES entries, flushes as boot's shutdown does, and exits
 * at once (as server.ts and worker.ts do).
 */
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel, pretty: config.logFormat === 'pretty', file: config.logFile });
const lines = Number(process.env.LINES ?? '10');
for (let i = 1; i <= lines; i++) {
  logger.info({ i, filler: 'x'.repeat(100) }, 'rotation test line');
  // Spread over time like real traffic: the transport thread gets (and rolls on) many writes.
  if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5));
}
await flushLogger(logger);
logger.info({ i: lines + 1 }, 'after flush');
process.exit(0);
