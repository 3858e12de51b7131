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
  RUN_WORKER_IN_WEB: z.preprocess(emptyToUndefined, booleanish.optional()),
  SEED_DEMO_DATA: z.preprocess(emptyToUndefined, booleanish.optional()),
  SESSION_ABSOLUTE_HOURS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).default(24 * 30)),
  SMTP_URL: z.preprocess(emptyToUndefined, z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
  MAIL_FROM: z.preprocess(emptyToUndefined, z.string().min(3).optional()),
  SUPPORT_EMAIL: z.preprocess(emptyToUndefined, z.email().optional()),
  MAIL_RETENTION_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(3650).default(30)),
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
  DOWNLOAD_DELIVERY: z.preprocess(emptyToUndefined, z.enum(['stream', 'redirect']).default('stream')),
  DOWNLOAD_REDIRECT_SECONDS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(30).max(300).default(300)),
  DOWNLOAD_LIMIT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1000).default(5)),
  STORE_NAME: z.preprocess(emptyToUndefined, z.string().max(60).default('Pixel Bazaar')),
  DEV_ADMIN_EMAIL: z.preprocess(emptyToUndefined, z.email().default('admin@pixelbazaar.test')),
  DEV_ADMIN_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(8).optional()),
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
  /** Private S3 (or S3-compatible) bucket for product files; takes precedence over storageDir. */
  s3: Readonly<{ bucket: string; region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string }> | undefined;
  /** Downloads allowed per purchased product. */
  downloadLimit: number;
  /** `stream` through the app (default), or `redirect` to a presigned S3 URL living `downloadRedirectSeconds`. */
  downloadDelivery: 'stream' | 'redirect';
  downloadRedirectSeconds: number;
  razorpay: Readonly<{ keyId: string; keySecret: string; webhookSecret: string; apiBase: string | undefined; emulator: boolean }>;
  trustProxy: number;
  logLevel: string;
  /** `pretty` (readable lines) by default in development; JSON lines in production and tests. */
  logFormat: 'json' | 'pretty';
  runWorkerInWeb: boolean;
  seedDemoData: boolean;
  storeName: string;
  /** Development only: created once; its password (DEV_ADMIN_PASSWORD or random) is saved in `file`. */
  devAdmin: Readonly<{ email: string; password: string | undefined; file: string }>;
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
    storageDir: path.resolve(rootDir, e.STORAGE_DIR),
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
    runWorkerInWeb: e.RUN_WORKER_IN_WEB ?? !isProduction,
    seedDemoData: e.SEED_DEMO_DATA ?? !isProduction,
    storeName: e.STORE_NAME,
    devAdmin: Object.freeze({ email: e.DEV_ADMIN_EMAIL, password: e.DEV_ADMIN_PASSWORD, file: path.join(path.dirname(path.resolve(rootDir, e.EMBEDDED_PG_DIR)), 'dev-admin.json') }),
  });
}
