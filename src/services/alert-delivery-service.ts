import { randomUUID } from 'node:crypto';
import type { Db } from '../db/knex.js';
import { discordPayload, headline, hostOf, redactText, slackPayload, truncate, type AlertMessage } from '../lib/alert-format.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { AlertChannel, AlertDeliveryModel, AlertDeliveryRow } from '../models/alert-deliveries.js';
import type { AlertModel, AlertRow } from '../models/alerts.js';
import type { AuditEntity } from '../models/audit-log.js';
import type { AlertService } from './alert-service.js';
import type { Actor, AuditService } from './audit-service.js';
import type { Limiter } from './rate-limits.js';

export interface AlertSettings {
  discordWebhookUrl: string | undefined;
  slackWebhookUrl: string | undefined;
  /** Repeats of a kind and fingerprint within this many minutes of its last send fold into one message. */
  dedupeMinutes: number;
  /** Tries per channel before a delivery is given up (5xx and network errors). */
  maxAttempts: number;
  /** Unsent mail older than this raises mail_stuck. */
  mailStuckMinutes: number;
}

/**
 * Per channel and run: at most this many messages, this far apart (Discord takes about 5 per
 * 2 s per webhook, Slack about 1 a second), so a storm never sends more than the services accept.
 */
const CHANNEL_LIMITS: Record<AlertChannel, { perRun: number; paceMs: number }> = {
  discord: { perRun: 5, paceMs: 400 },
  slack: { perRun: 5, paceMs: 1_100 },
};
/** More alerts due at once than this: the first ones go alone, the rest in one summary message. */
export const STORM_THRESHOLD = 5;
const DISPATCH_BATCH = 200;
const REQUEST_TIMEOUT_MS = 10_000;
/** Longer than a request can take, so a live sender always finishes inside its claim. */
const CLAIM_LEASE_MS = 60_000;
/** A 429 asking for longer than this is capped (a broken header must not silence alerts for days). */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** 30 s, 1, 2, 4 … min between tries, at most an hour. */
const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
/** The audit log's entity type for alert actions (the column is free text). */
const ALERT_ENTITY = 'alert' as AuditEntity;

export interface PostResult {
  ok: boolean;
  status?: number;
  /** From a 429: how long the channel must wait. */
  retryAfterMs?: number;
  error?: string;
}

export interface RunResult {
  dispatched: number;
  sent: Record<AlertChannel, number>;
  failed: Record<AlertChannel, number>;
}

type Fetch = typeof fetch;

/** Seconds (maybe fractional) from Discord's JSON retry_after or a Retry-After header. */
function retryAfterOf(res: Response, body: string): number {
  let seconds: number | undefined;
  try {
    const json = JSON.parse(body) as { retry_after?: unknown };
    if (typeof json.retry_after === 'number' && Number.isFinite(json.retry_after)) seconds = json.retry_after;
  } catch {
    // Slack answers in plain text; the header says how long.
  }
  if (seconds === undefined) {
    const header = res.headers.get('retry-after');
    const n = header ? Number(header) : Number.NaN;
    if (Number.isFinite(n)) seconds = n;
    else if (header && !Number.isNaN(Date.parse(header))) seconds = (Date.parse(header) - Date.now()) / 1000;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(1_000, Math.ceil((seconds ?? 5) * 1000)));
}

/** An error for the table and the log: no URL (the webhook's path is a secret), no secrets. */
const errorText = (err: unknown, urls: (string | undefined)[]) => {
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  let text = [e?.message ?? String(err), e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
  for (const u of urls) if (u) text = text.split(u).join('[webhook URL]');
  return truncate(redactText(text), 300);
};

/**
 * Delivers alerts to Discord and Slack (or only the log when neither webhook is set). The
 * `deliver-alerts` job calls run() every minute: it raises mail_stuck when mail waits too long,
 * dispatches the pending alerts that are due (each kind and fingerprint at most once per dedupe
 * window, a storm folded into a summary) and then sends each channel's due deliveries on its
 * own, honouring 429s (stored per channel, so every worker waits), backing off on 5xx and giving
 * up after a bound. No HTTP request is made inside a database transaction.
 */
export function createAlertDeliveryService(deps: {
  db: Db;
  alerts: AlertModel;
  deliveries: AlertDeliveryModel;
  alertService: AlertService;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  settings: AlertSettings;
  storeName: string;
  /** Throttles the admin's test button (each press posts to every channel). */
  testLimiter?: Limiter;
  fetch?: Fetch;
  sleep?: (ms: number) => Promise<void>;
}) {
  const { db, alerts, deliveries, clock, logger, settings } = deps;
  const doFetch: Fetch = deps.fetch ?? ((...args) => fetch(...args));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const urls: Record<AlertChannel, string | undefined> = { discord: settings.discordWebhookUrl, slack: settings.slackWebhookUrl };
  const channels = (Object.keys(urls) as AlertChannel[]).filter((c) => urls[c]);

  function payloadFor(channel: AlertChannel, a: AlertMessage): unknown {
    const opts = { storeName: deps.storeName, now: clock.now() };
    return channel === 'discord' ? discordPayload(a, opts) : slackPayload(a, opts);
  }

  /** One POST to a channel's webhook, never throwing. */
  async function post(channel: AlertChannel, body: unknown): Promise<PostResult> {
    const url = urls[channel];
    if (!url) return { ok: false, error: 'not configured' };
    try {
      const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), redirect: 'error' });
      const text = await res.text().catch(() => '');
      if (res.ok) return { ok: true, status: res.status };
      if (res.status === 429) return { ok: false, status: 429, retryAfterMs: retryAfterOf(res, text), error: 'rate limited' };
      return { ok: false, status: res.status, error: truncate(redactText(`HTTP ${res.status}${text ? `: ${text.replace(/\s+/g, ' ')}` : ''}`), 300) };
    } catch (err) {
      return { ok: false, error: errorText(err, [url]) };
    }
  }

  /** Dispatches due alerts: hands each to every channel (or the log), folding a storm into a summary. */
  async function dispatch(): Promise<number> {
    const now = clock.now();
    const logged: AlertRow[] = [];
    const count = await db.transaction(async (trx) => {
      const due = await alerts.lockDue(trx, now, settings.dedupeMinutes * 60_000, DISPATCH_BATCH);
      if (!due.length) return 0;
      const status = channels.length ? 'sent' : 'logged';
      const alone = due.length > STORM_THRESHOLD ? due.slice(0, STORM_THRESHOLD - 1) : due;
      const rest = due.slice(alone.length);
      const messages = [...alone];
      await alerts.markDispatched(trx, alone.map((a) => a.id), status, now);
      if (rest.length) {
        const byKind = new Map<string, number>();
        for (const a of rest) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + a.occurrences);
        const kinds = [...byKind.entries()].sort((x, y) => y[1] - x[1]);
        const total = rest.reduce((s, a) => s + a.occurrences, 0);
        const summary = await alerts.insertDispatched(trx, {
          kind: 'summary',
          fingerprint: `summary:${now.toISOString()}:${randomUUID()}`,
          title: truncate(`${total} more alerts (${rest.length} kinds) in one summary: ${kinds.map(([k, n]) => `${n}× ${k}`).join(', ')}`, 200),
          // Keyed by position: a kind as a key could look like a secret's name (webhook_signature).
          detail: Object.fromEntries(rest.slice(0, 24).map((a, i) => [`${i + 1}`, truncate(`${a.occurrences}× ${a.kind} — ${a.title}`, 300)])),
          at: now,
          status,
        });
        await alerts.markDispatched(trx, rest.map((a) => a.id), status, now, summary.id);
        messages.push(summary);
      }
      if (channels.length) {
        await deliveries.insertMany(messages.flatMap((a) => channels.map((channel) => ({ alert_id: a.id, channel, next_attempt_at: now, created_at: now }))), trx);
      } else {
        logged.push(...messages);
      }
      return due.length;
    });
    // No webhook configured: the log is the channel.
    for (const a of logged) logger.warn({ alert: a.kind, alertId: a.id, occurrences: a.occurrences, detail: a.detail }, `alert (no Discord/Slack webhook set): ${headline(a, now)}`);
    return count;
  }

  /** Sends one claimed delivery and records what happened. 'stop' ends this channel's run. */
  async function sendOne(row: AlertDeliveryRow): Promise<'sent' | 'failed' | 'stop'> {
    const alert = await alerts.get(row.alert_id);
    if (!alert) {
      await deliveries.finish(row.id, { status: 'given_up', last_error: 'alert deleted' });
      return 'failed';
    }
    const result = await post(row.channel, payloadFor(row.channel, alert));
    const now = clock.now();
    const host = hostOf(urls[row.channel]);
    if (result.ok) {
      await deliveries.finish(row.id, { status: 'sent', attempts: row.attempts + 1, last_status_code: result.status ?? null, last_error: null, delivered_at: now });
      return 'sent';
    }
    if (result.status === 429) {
      // Not a failure: wait as told, on every worker (the channel's "not before" is in the table).
      const until = new Date(now.getTime() + (result.retryAfterMs ?? 5_000));
      await deliveries.block(row.channel, until, now);
      await deliveries.finish(row.id, { next_attempt_at: until, last_status_code: 429, last_error: `rate limited: retry after ${Math.ceil((until.getTime() - now.getTime()) / 1000)} s` });
      await deliveries.postponeChannel(row.channel, until);
      logger.warn({ channel: row.channel, host, alertId: alert.id, until }, 'alert channel rate limited; waiting as told');
      return 'stop';
    }
    const attempts = row.attempts + 1;
    const permanent = result.status !== undefined && result.status >= 400 && result.status < 500;
    if (permanent || attempts >= settings.maxAttempts) {
      await deliveries.finish(row.id, { status: 'given_up', attempts, last_status_code: result.status ?? null, last_error: result.error ?? null });
      logger.error({ channel: row.channel, host, alertId: alert.id, kind: alert.kind, status: result.status, error: result.error, attempts }, permanent ? 'alert refused by the channel (check the webhook URL); given up' : 'alert delivery given up after repeated failures');
      return permanent ? 'failed' : 'stop';
    }
    const next = new Date(now.getTime() + backoffMs(attempts));
    await deliveries.finish(row.id, { status: 'failed', attempts, next_attempt_at: next, last_status_code: result.status ?? null, last_error: result.error ?? null });
    logger.warn({ channel: row.channel, host, alertId: alert.id, status: result.status, error: result.error, attempts, next }, 'alert delivery failed; will retry');
    // A channel that is down now is down for the rest of this run too.
    return 'stop';
  }

  /** Sends a channel's due deliveries, at most its per-run cap, paced. */
  async function deliverChannel(channel: AlertChannel): Promise<{ sent: number; failed: number }> {
    const out = { sent: 0, failed: 0 };
    const blocked = await deliveries.blockedUntil(channel);
    if (blocked && blocked > clock.now()) return out;
    const { perRun, paceMs } = CHANNEL_LIMITS[channel];
    for (let i = 0; i < perRun; i++) {
      const row = await deliveries.claimNext(channel, clock.now(), CLAIM_LEASE_MS);
      if (!row) break;
      if (i > 0) await sleep(paceMs);
      const r = await sendOne(row);
      if (r === 'sent') out.sent++;
      else out.failed++;
      if (r === 'stop') break;
    }
    return out;
  }

  /** Unsent mail older than the setting: one mail_stuck alert per hour (a new hour, a new message). */
  async function checkStuckMail(): Promise<number> {
    const now = clock.now();
    const cutoff = new Date(now.getTime() - settings.mailStuckMinutes * 60_000);
    const row = (await db('email_outbox')
      .where('created_at', '<', cutoff)
      .andWhere((q) => q.whereIn('status', ['pending', 'sending']).orWhere((f) => f.where('status', 'failed').andWhere('created_at', '>', new Date(now.getTime() - 86_400_000))))
      .count<{ n: number }[]>({ n: '*' })
      .first()) as { n: number | string } | undefined;
    const n = Number(row?.n ?? 0);
    if (!n) return 0;
    const oldest = (await db('email_outbox').where('created_at', '<', cutoff).whereNot('status', 'sent').min({ at: 'created_at' }).first()) as { at: Date | null } | undefined;
    await deps.alertService.raise({
      kind: 'mail_stuck',
      fingerprint: `mail_stuck:${now.toISOString().slice(0, 13)}`,
      once: true,
      title: `${n} ${n === 1 ? 'email has' : 'emails have'} waited over ${settings.mailStuckMinutes} min in the outbox`,
      detail: { waiting: n, oldest: oldest?.at ? new Date(oldest.at).toISOString() : null, hint: 'Check SMTP_URL and the mail provider; the deliver-email job retries with backoff.' },
    });
    return n;
  }

  async function run(): Promise<RunResult> {
    await checkStuckMail();
    const dispatched = await dispatch();
    // Independent: one channel being slow or down never holds the other back.
    const [discord, slack] = await Promise.all((['discord', 'slack'] as AlertChannel[]).map((c) => (urls[c] ? deliverChannel(c) : Promise.resolve({ sent: 0, failed: 0 }))));
    return { dispatched, sent: { discord: discord!.sent, slack: slack!.sent }, failed: { discord: discord!.failed, slack: slack!.failed } };
  }

  /** The configured channels, with the host only: a webhook URL's path is its secret. */
  function channelInfo(): { channel: AlertChannel; label: string; host: string | undefined; configured: boolean }[] {
    return (['discord', 'slack'] as AlertChannel[]).map((c) => ({ channel: c, label: c === 'discord' ? 'Discord' : 'Slack', host: hostOf(urls[c]), configured: Boolean(urls[c]) }));
  }

  return {
    run,
    dispatch,
    checkStuckMail,
    channelInfo,

    /** `npm run alert:test`: posts a test message straight to each configured channel. */
    async sendTestDirect(): Promise<{ channel: AlertChannel; host: string | undefined; result: PostResult }[]> {
      const now = clock.now();
      const message: AlertMessage = { id: 0, kind: 'test', title: `Test alert from ${deps.storeName} (npm run alert:test)`, detail: { sent: now.toISOString() }, occurrences: 1, first_seen_at: now, last_seen_at: now };
      return Promise.all(channels.map(async (channel) => ({ channel, host: hostOf(urls[channel]), result: await post(channel, payloadFor(channel, message)) })));
    },

    /**
     * The admin's "Send test alert": a `test` alert recorded with its audit entry, then delivered
     * at once (the same run the job makes, so it shows exactly what the job would do).
     */
    async queueTest(actor: Actor): Promise<{ alertId: number; run: RunResult }> {
      await deps.testLimiter?.hit(String(actor.id));
      const alertId = await db.transaction(async (trx) => {
        const row = await deps.alertService.record({ kind: 'test', fingerprint: `test:${clock.now().toISOString()}:${randomUUID()}`, title: `Test alert sent by ${actor.email}`, detail: { by: actor.email } }, trx);
        await deps.audit.record(trx, actor, { action: 'alert.test', entity: ALERT_ENTITY, id: row!.id, summary: `Sent a test alert (${channels.length ? channels.join(' and ') : 'log only'})` });
        return row!.id;
      });
      return { alertId, run: await run() };
    },

    /** The admin page: the last 100 alerts with each channel's delivery, and the channels. */
    async overview(limit = 100) {
      const rows = await alerts.recent(limit);
      const ds = await deliveries.forAlerts(rows.map((r) => r.id));
      const byAlert = new Map<number, AlertDeliveryRow[]>();
      for (const d of ds) byAlert.set(d.alert_id, [...(byAlert.get(d.alert_id) ?? []), d]);
      const blocks = new Map((await deliveries.channels()).map((c) => [c.channel, c.blocked_until]));
      const now = clock.now();
      return {
        alerts: rows.map((a) => ({ ...a, headline: headline(a, a.sent_at ?? now), deliveries: byAlert.get(a.id) ?? [] })),
        channels: channelInfo().map((c) => {
          const until = blocks.get(c.channel);
          return { ...c, blockedUntil: until && until > now ? until : undefined };
        }),
        dedupeMinutes: settings.dedupeMinutes,
      };
    },
  };
}

export type AlertDeliveryService = ReturnType<typeof createAlertDeliveryService>;
