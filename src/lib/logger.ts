import { createRequire } from 'node:module';
import path from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Passwords, tokens, cookies and session ids never reach the logs: these paths are masked
 * wherever they appear in a logged object.
 */
const REDACT = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.code',
  '*.secret',
  // The same keys at the top level of a log entry.
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'code',
  'secret',
];

/**
 * JSON lines in production (what a PaaS log drain parses); readable one-line entries in
 * development. pino-pretty is a development dependency, loaded only when asked for, and runs in
 * this thread so a Ctrl-C never loses the last lines.
 */
export function createLogger(opts: { level: string; pretty?: boolean; destination?: DestinationStream; file?: LogFileOptions }): Logger {
  const options = { level: opts.level, redact: { paths: REDACT, censor: '[redacted]' } };
  // A silent logger (tests) never starts a transport thread: it stays synchronous and free.
  if (opts.file && !opts.destination && opts.level !== 'silent') return pino(options, rollingFile(opts.file));
  if (!opts.pretty) return opts.destination ? pino(options, opts.destination) : pino(options);
  const pretty = createRequire(import.meta.url)('pino-pretty') as (o: Record<string, unknown>) => DestinationStream;
  return pino(
    options,
    pretty({
      colorize: opts.destination ? false : process.stdout.isTTY,
      ignore: 'pid,hostname,req.headers,res.headers,req.remoteAddress,req.remotePort',
      translateTime: 'SYS:HH:MM:ss',
      singleLine: true,
      sync: true,
      ...(opts.destination ? { destination: opts.destination } : {}),
    }),
  );
}

/** LOG_FILE and its rotation (a plain VM; on a PaaS the platform collects stdout). */
export interface LogFileOptions {
  /** Base path: `logs/app.log` becomes `logs/app.2026-12-01.1.log`, `…2.log` after a size roll. */
  path: string;
  /** Largest size of one file before the next is started: pino-roll units, `50m`, `512k`. */
  size: string;
  /** Files kept on disk, the one being written included; older ones are deleted. */
  keep: number;
}

/**
 * JSON lines through pino-roll, which runs in a worker thread (a pino transport) so writing and
 * rolling never block a request: a new file each day (the server's midnight), and sooner when
 * one reaches `size`. Files of earlier processes count towards `keep` too (removeOtherLogFiles), so
 * restarts cannot pile files up.
 */
function rollingFile(file: LogFileOptions): DestinationStream {
  return pino.transport({
    target: 'pino-roll',
    options: {
      file: path.resolve(file.path),
      frequency: 'daily',
      dateFormat: 'yyyy-MM-dd',
      size: file.size,
      mkdir: true,
      // pino-roll's count is the files kept besides the one being written.
      limit: { count: Math.max(1, file.keep - 1), removeOtherLogFiles: true },
    },
  }) as DestinationStream;
}

/**
 * Hands every buffered line to its destination (the transport's thread writes it to the file).
 * Called by boot's shutdown; anything logged after it is still flushed by pino's exit hook.
 */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    // A destination that cannot flush (a closed pipe) must not hold the shutdown up.
    logger.flush(() => resolve());
  });
}

/** Masks secrets carried in URLs (download tokens, reset/verify tokens in a query) before logging. */
export function redactUrl(url: string): string {
  return url
    .replace(/(\/downloads\/)[^/?#]+/g, '$1[redacted]')
    .replace(/([?&](?:token|code|signature|_csrf)=)[^&#]*/gi, '$1[redacted]');
}
