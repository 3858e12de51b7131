import { pino, type Logger } from 'pino';

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
];

export function createLogger(opts: { level: string; pretty?: boolean }): Logger {
  return pino({
    level: opts.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(opts.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } } }
      : {}),
  });
}

/** Masks secrets carried in URLs (download tokens, reset/verify tokens in a query) before logging. */
export function redactUrl(url: string): string {
  return url
    .replace(/(\/downloads\/)[^/?#]+/g, '$1[redacted]')
    .replace(/([?&](?:token|code|signature)=)[^&#]*/gi, '$1[redacted]');
}
