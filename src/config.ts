import { hkdfSync } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { rootDir } from './lib/paths.js';

/**
 * The only reader of process.env. Every setting is parsed and checked here once; the rest of the
 * code receives the frozen result. A bad or missing production setting stops the start with a
 * message that names the variable.
 */

const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-0123456789';
const DEV_DATA_KEY_SEED = 'dev-only-data-key-seed: never used in production';

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(['development', 'test', 'production']).default('development')),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.preprocess(emptyToUndefined, z.string().optional()),
  BASE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection URL')
      .optional(),
  ),
  DATABASE_POOL_MAX: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100).default(10)),
  PRODUCT_FILE_MAX_MB: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(51_200).default(2048)),
  PAGE_CACHE_MB: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1024).default(32)),
  DATABASE_SSL: z.preprocess(emptyToUndefined, booleanish.optional()),
  EMBEDDED_PG_DIR: z.preprocess(emptyToUndefined, z.string().default('data/postgres')),
  EMBEDDED_PG_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1024).max(65535).default(54329)),
  SESSION_SECRET: optionalString,
  SESSION_IDLE_MINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(5).default(60 * 24 * 7)),
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(10).optional()),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ),
  LOG_FORMAT: z.preprocess(emptyToUndefined, z.enum(['json', 'pretty']).optional()),
  LOG_FILE: optionalString,
  LOG_ROTATE_SIZE: z.preprocess(emptyToUndefined, z.string().regex(/^[1-9][0-9]*[kmg]?$/i, 'must be a size such as 50m, 512k or 1g').default('50m')),
  LOG_ROTATE_KEEP: z.preprocess(emptyToUndefined, z.coerce.number().int().min(2).max(1000).default(14)),
  RUN_WORKER_IN_WEB: z.preprocess(emptyToUndefined, booleanish.optional()),
  SEED_DEMO_DATA: z.preprocess(emptyToUndefined, booleanish.optional()),
  SESSION_ABSOLUTE_HOURS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(24 * 30)),
  SMTP_URL: z.preprocess(emptyToUndefined, z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
  MAIL_FROM: z.preprocess(emptyToUndefined, z.string().min(3).optional()),
  SUPPORT_EMAIL: z.preprocess(emptyToUndefined, z.email().optional()),
  MAIL_RETENTION_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(3650).default(30)),
  NEWSLETTER_RATE_PER_MINUTE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1_000_000).default(600)),
  NEWSLETTER_SEND_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(50).default(4)),
  NEWSLETTER_SEND_LEASE_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(86_400).default(180)),
  RETENTION_AT: z.preprocess(emptyToUndefined, z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be an India time such as 03:30').default('03:30')),
  RETENTION_LOGIN_FAILURES_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(3650).default(30)),
  RETENTION_LOGIN_EVENTS_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(90).max(3650).default(400)),
  RETENTION_WEBHOOK_EVENTS_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(7).max(3650).default(90)),
  RETENTION_SHOPPER_EVENTS_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(31).max(3650).default(400)),
  RETENTION_ALERTS_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(7).max(3650).default(180)),
  RETENTION_BUDGET_MINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(60).default(5)),
  ANALYTICS_LIVE_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(3600).default(60)),
  ABANDONED_CART_HOURS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(72).default(24)),
  ADMIN_DIGEST_HOUR_IST: z.preprocess(emptyToUndefined, z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (24-hour, India time)').default('08:00')),
  MAIL_OUTBOX_DIR: z.preprocess(emptyToUndefined, z.string().default('data/outbox')),
  DATA_ENCRYPTION_KEY: z.preprocess(emptyToUndefined, z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)').optional()),
  DATA_ENCRYPTION_KEY_PREVIOUS: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^[0-9a-fA-F]{64}(\s*,\s*[0-9a-fA-F]{64})*$/, 'must be 64-hex-character keys separated by commas').optional(),
  ),
  REQUIRE_ADMIN_2FA: z.preprocess(emptyToUndefined, booleanish.optional()),
  RAZORPAY_KEY_ID: z.preprocess(emptyToUndefined, z.string().regex(/^rzp_(test|live)_[A-Za-z0-9]+$/, 'must look like rzp_test_… or rzp_live_…').optional()),
  RAZORPAY_KEY_SECRET: optionalString,
  RAZORPAY_WEBHOOK_SECRET: optionalString,
  RAZORPAY_API_BASE: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  S3_BUCKET: optionalString,
  S3_REGION: z.preprocess(emptyToUndefined, z.string().default('ap-south-1')),
  S3_ENDPOINT: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  STORAGE_DIR: z.preprocess(emptyToUndefined, z.string().default('data/storage')),
  BACKUP_HOUR_IST: z.preprocess(emptyToUndefined, z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day in India, HH:MM (24-hour)').default('02:30')),
  BACKUP_DIR: z.preprocess(emptyToUndefined, z.string().default('data/backups')),
  BACKUP_S3_SSE: z.preprocess(emptyToUndefined, z.enum(['AES256', 'aws:kms', 'none']).default('AES256')),
  DOWNLOAD_DELIVERY: z.preprocess(emptyToUndefined, z.enum(['stream', 'redirect']).default('stream')),
  DOWNLOAD_REDIRECT_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(30).max(300).default(300)),
  DOWNLOAD_LIMIT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1000).default(5)),
  CART_REMINDER_FIRST_MINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(5).max(720).default(60)),
  CART_REMINDER_SECOND_HOURS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(13).max(168).default(24)),
  CART_REMINDER_COUPON_CODE: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be a coupon code (letters, digits, - and _, at most 40)').optional()),
  STORE_NAME: z.preprocess(emptyToUndefined, z.string().max(60).default('Pixel Bazaar')),
  DEV_ADMIN_EMAIL: z.preprocess(emptyToUndefined, z.email().default('admin@pixelbazaar.test')),
  DEV_ADMIN_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(8).optional()),
  ALERT_DISCORD_WEBHOOK_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  ALERT_SLACK_WEBHOOK_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  ALERT_DEDUPE_MINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1440).default(10)),
  ALERT_MAX_ATTEMPTS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(50).default(8)),
  ALERT_MAIL_STUCK_MINUTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(5).max(1440).default(30)),
});

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  isProduction: boolean;
  port: number;
  host: string;
  baseUrl: string;
  /** Absent outside production: the server then starts an embedded PostgreSQL. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** Largest downloadable product file an admin may upload. */
  productFileMaxBytes: number;
  /** Memory for the shared cache of rendered guest pages, per web process. */
  pageCacheMb: number;
  databaseSsl: boolean;
  embeddedPg: Readonly<{ dir: string; port: number }>;
  sessionSecret: string;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** Without SMTP_URL (development only) mail is written to mailOutboxDir and links printed. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Sent mail rows (without bodies) are deleted after this many days. */
  mailRetentionDays: number;
  /** Newsletter sending: most mails a minute, SMTP calls at once, and how long a send may stay in flight before it counts as a dead worker's. */
  newsletter: Readonly<{ ratePerMinute: number; concurrency: number; leaseMs: number }>;
  /** A cart counts as abandoned when no paid order follows its last change within this many hours. */
  abandonedCartHours: number;
  /** Today's live figures on the dashboards are reused for this long (0: computed every time). */
  analyticsLiveSeconds: number;
  /** When (India time, HH:MM) the admins' daily digest of yesterday is sent. */
  adminDigestHourIst: string;
  /**
   * The nightly retention pass: when (India time), how many days each log-like table keeps
   * (email_outbox: mailRetentionDays) and how long one pass may take.
   */
  retention: Readonly<{
    at: Readonly<{ hour: number; minute: number }>;
    days: Readonly<{ loginFailures: number; loginEvents: number; webhookEvents: number; rawEvents: number; alerts: number }>;
    budgetMs: number;
  }>;
  /** Where contact-form messages go (and the address shown to shoppers). */
  supportEmail: string;
  mailOutboxDir: string;
  /**
   * 32-byte keys for secrets stored encrypted (TOTP seeds) and for signing download links:
   * `current` encrypts and signs, `previous` (rotated-out keys) still decrypt and verify.
   */
  dataKeys: Readonly<{ current: Buffer; previous: readonly Buffer[] }>;
  requireAdmin2fa: boolean;
  /**
   * Razorpay keys. With no keys outside production the store runs the bundled emulator
   * (mounted at /__razorpay) with test keys, so checkout works offline.
   */
  /** Local folder for product files when S3 is not configured. */
  storageDir: string;
  /** Database backups: the daily hour (India time), the local folder without S3, S3 server-side encryption. */
  backups: Readonly<{ hourIst: string; dir: string; sse: 'AES256' | 'aws:kms' | 'none' }>;
  /** Private S3 (or S3-compatible) bucket for product files; takes precedence over storageDir. */
  s3: Readonly<{ bucket: string; region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string }> | undefined;
  /** Downloads allowed per purchased product. */
  downloadLimit: number;
  /** `stream` through the app (default), or `redirect` to a presigned S3 URL living `downloadRedirectSeconds`. */
  downloadDelivery: 'stream' | 'redirect';
  downloadRedirectSeconds: number;
  /** Abandoned-cart reminders: the first after `firstMinutes`, the second after `secondHours`, which may offer `couponCode`. */
  cartReminders: Readonly<{ firstMinutes: number; secondHours: number; couponCode: string | undefined }>;
  razorpay: Readonly<{ keyId: string; keySecret: string; webhookSecret: string; apiBase: string | undefined; emulator: boolean }>;
  trustProxy: number;
  logLevel: string;
  /** `pretty` (readable lines) by default in development; JSON lines in production and tests. */
  logFormat: 'json' | 'pretty';
  /** LOG_FILE (a plain VM): JSON lines into rotating files instead of stdout. */
  logFile: Readonly<{ path: string; size: string; keep: number }> | undefined;
  runWorkerInWeb: boolean;
  seedDemoData: boolean;
  storeName: string;
  /** Development only: created once; its password (DEV_ADMIN_PASSWORD or random) is saved in `file`. */
  devAdmin: Readonly<{ email: string; password: string | undefined; file: string }>;
  /** Alert delivery (Discord/Slack webhooks; neither set → alerts are only logged), dedupe window, tries, stuck-mail age. */
  alerts: Readonly<{ discordWebhookUrl: string | undefined; slackWebhookUrl: string | undefined; dedupeMinutes: number; maxAttempts: number; mailStuckMinutes: number }>;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default) into a frozen Config, or throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const problems: string[] = [];

  if (isProduction) {
    if (!e.DATABASE_URL) problems.push('DATABASE_URL: required in production (postgres://user:pass@host:5432/db)');
    if (!e.SESSION_SECRET) problems.push('SESSION_SECRET: required in production (at least 32 random characters)');
    else if (e.SESSION_SECRET === DEV_SESSION_SECRET) problems.push('SESSION_SECRET: the development default cannot be used in production');
    else if (e.SESSION_SECRET.length < 32) problems.push('SESSION_SECRET: must be at least 32 characters');
    if (!e.SMTP_URL) problems.push('SMTP_URL: required in production (smtp://user:pass@host:587); account and order emails are sent through it');
    if (!e.MAIL_FROM) problems.push('MAIL_FROM: required in production (e.g. "Pixel Bazaar <shop@example.com>")');
    if (!e.RAZORPAY_KEY_ID || !e.RAZORPAY_KEY_SECRET || !e.RAZORPAY_WEBHOOK_SECRET) {
      problems.push('RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET: all required in production (Razorpay Dashboard → Settings → API Keys / Webhooks)');
    }
    if (e.LOG_FORMAT === 'pretty') problems.push('LOG_FORMAT: pretty needs a development dependency; use json in production');
    if (!e.DATA_ENCRYPTION_KEY) problems.push('DATA_ENCRYPTION_KEY: required in production (64 hex characters: node -e "console.log(crypto.randomBytes(32).toString(\'hex\'))"); it encrypts 2FA secrets and signs download links');
    if (e.RAZORPAY_API_BASE) problems.push('RAZORPAY_API_BASE: points the SDK at an emulator and is refused in production');
    if (!e.BASE_URL) problems.push('BASE_URL: required in production (e.g. https://shop.example.com); links in emails are built from it');
  }
  if (e.DOWNLOAD_DELIVERY === 'redirect' && !e.S3_BUCKET) problems.push('DOWNLOAD_DELIVERY: redirect needs S3 (set S3_BUCKET); local files are always streamed');
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    // A PaaS router reaches the app on any interface; a developer's store (with its known admin
    // login) is for this machine only unless HOST says otherwise.
    host: e.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    pageCacheMb: e.PAGE_CACHE_MB,
    productFileMaxBytes: e.PRODUCT_FILE_MAX_MB * 1024 * 1024,
    databaseSsl: e.DATABASE_SSL ?? false,
    embeddedPg: Object.freeze({ dir: path.resolve(rootDir, e.EMBEDDED_PG_DIR), port: e.EMBEDDED_PG_PORT }),
    sessionSecret: e.SESSION_SECRET ?? DEV_SESSION_SECRET,
    sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `${e.STORE_NAME} <no-reply@localhost>`,
    mailOutboxDir: path.resolve(rootDir, e.MAIL_OUTBOX_DIR),
    mailRetentionDays: e.MAIL_RETENTION_DAYS,
    newsletter: Object.freeze({ ratePerMinute: e.NEWSLETTER_RATE_PER_MINUTE, concurrency: e.NEWSLETTER_SEND_CONCURRENCY, leaseMs: e.NEWSLETTER_SEND_LEASE_SECONDS * 1000 }),
    retention: Object.freeze({
      at: Object.freeze({ hour: Number(e.RETENTION_AT.slice(0, 2)), minute: Number(e.RETENTION_AT.slice(3)) }),
      days: Object.freeze({ loginFailures: e.RETENTION_LOGIN_FAILURES_DAYS, loginEvents: e.RETENTION_LOGIN_EVENTS_DAYS, webhookEvents: e.RETENTION_WEBHOOK_EVENTS_DAYS, rawEvents: e.RETENTION_SHOPPER_EVENTS_DAYS, alerts: e.RETENTION_ALERTS_DAYS }),
      budgetMs: e.RETENTION_BUDGET_MINUTES * 60_000,
    }),
    abandonedCartHours: e.ABANDONED_CART_HOURS,
    analyticsLiveSeconds: e.ANALYTICS_LIVE_SECONDS,
    adminDigestHourIst: e.ADMIN_DIGEST_HOUR_IST,
    // Defaults to the sending address, so a store that set MAIL_FROM has a working contact form.
    supportEmail: e.SUPPORT_EMAIL ?? /<([^>]+)>/.exec(e.MAIL_FROM ?? '')?.[1] ?? e.MAIL_FROM?.trim() ?? 'support@localhost',
    // Required in production. Elsewhere a fixed development key (never the session secret, so
    // rotating that one changes nothing), so a newcomer needs to set nothing.
    dataKeys: Object.freeze({
      current: e.DATA_ENCRYPTION_KEY ? Buffer.from(e.DATA_ENCRYPTION_KEY, 'hex') : Buffer.from(hkdfSync('sha256', DEV_DATA_KEY_SEED, 'store', 'data-encryption-key', 32)),
      previous: Object.freeze((e.DATA_ENCRYPTION_KEY_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter(Boolean).map((k) => Buffer.from(k, 'hex'))),
    }),
    requireAdmin2fa: e.REQUIRE_ADMIN_2FA ?? isProduction,
    downloadLimit: e.DOWNLOAD_LIMIT,
    downloadDelivery: e.DOWNLOAD_DELIVERY,
    downloadRedirectSeconds: e.DOWNLOAD_REDIRECT_SECONDS,
    cartReminders: Object.freeze({ firstMinutes: e.CART_REMINDER_FIRST_MINUTES, secondHours: e.CART_REMINDER_SECOND_HOURS, couponCode: e.CART_REMINDER_COUPON_CODE }),
    storageDir: path.resolve(rootDir, e.STORAGE_DIR),
    backups: Object.freeze({ hourIst: e.BACKUP_HOUR_IST, dir: path.resolve(rootDir, e.BACKUP_DIR), sse: e.BACKUP_S3_SSE }),
    s3: e.S3_BUCKET
      ? Object.freeze({ bucket: e.S3_BUCKET, region: e.S3_REGION, endpoint: e.S3_ENDPOINT, accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY })
      : undefined,
    razorpay: Object.freeze(
      e.RAZORPAY_KEY_ID && e.RAZORPAY_KEY_SECRET
        ? { keyId: e.RAZORPAY_KEY_ID, keySecret: e.RAZORPAY_KEY_SECRET, webhookSecret: e.RAZORPAY_WEBHOOK_SECRET ?? '', apiBase: e.RAZORPAY_API_BASE, emulator: false }
        : {
            keyId: 'rzp_test_emulator0000',
            keySecret: 'emulator-key-secret',
            webhookSecret: 'emulator-webhook-secret',
            apiBase: e.RAZORPAY_API_BASE ?? `${(e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '')}/__razorpay`,
            emulator: true,
          },
    ),
    // Behind a PaaS router there is one proxy hop; without it req.ip would be the router's address.
    trustProxy: e.TRUST_PROXY ?? (isProduction ? 1 : 0),
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' ? 'pretty' : 'json'),
    logFile: e.LOG_FILE ? Object.freeze({ path: path.resolve(rootDir, e.LOG_FILE), size: e.LOG_ROTATE_SIZE.toLowerCase(), keep: e.LOG_ROTATE_KEEP }) : undefined,
    runWorkerInWeb: e.RUN_WORKER_IN_WEB ?? !isProduction,
    seedDemoData: e.SEED_DEMO_DATA ?? !isProduction,
    storeName: e.STORE_NAME,
    alerts: Object.freeze({ discordWebhookUrl: e.ALERT_DISCORD_WEBHOOK_URL, slackWebhookUrl: e.ALERT_SLACK_WEBHOOK_URL, dedupeMinutes: e.ALERT_DEDUPE_MINUTES, maxAttempts: e.ALERT_MAX_ATTEMPTS, mailStuckMinutes: e.ALERT_MAIL_STUCK_MINUTES }),
    devAdmin: Object.freeze({ email: e.DEV_ADMIN_EMAIL, password: e.DEV_ADMIN_PASSWORD, file: path.join(path.dirname(path.resolve(rootDir, e.EMBEDDED_PG_DIR)), 'dev-admin.json') }),
  });
}
