import { createRequire } from 'node:module';
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
export function createLogger(opts: { level: string; pretty?: boolean; destination?: DestinationStream }): Logger {
  const options = { level: opts.level, redact: { paths: REDACT, censor: '[redacted]' } };
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

/** Masks secrets carried in URLs (download tokens, reset/verify tokens in a query) before logging. */
export function redactUrl(url: string): string {
  return url
    .replace(/(\/downloads\/)[^/?#]+/g, '$1[redacted]')
    .replace(/([?&](?:token|code|signature|_csrf)=)[^&#]*/gi, '$1[redacted]');
}
