import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { Knex } from 'knex';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { viewsDir } from '../lib/paths.js';
import type { EmailOutboxModel, OutboxRow } from '../models/email-outbox.js';

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (List-Unsubscribe …), when the message has any. */
  headers?: Record<string, string>;
}

/** Sends one message or throws. SMTP in production; a folder (and the console) in development. */
export interface MailTransport {
  send(message: MailMessage & { from: string }): Promise<void>;
  close(): void;
}

/**
 * Longest one SMTP send may take, start to end. Each step has its own timeout below, but a server
 * that answers slowly step by step could stretch a send without limit; past this the connection is
 * closed. It stays well inside CLAIM_LEASE_MS, so a send never outlives its claim and no second
 * sender takes over a message that is still being sent.
 */
export const SEND_DEADLINE_MS = 60_000;

export function createSmtpTransport(smtpUrl: string, opts: { pool?: number } = {}): MailTransport {
  // nodemailer's defaults wait up to 2 min to connect, 30 s for a greeting and 10 min of silence.
  // `pool`: keep that many connections open and reuse them (bulk mail; a new connection costs
  // more than the message).
  const timeouts = { dnsTimeout: 10_000, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };
  // (With a URL string, nodemailer reads the second argument as message defaults; a pool must
  // be asked for in the options object, next to `url`.)
  const transporter = opts.pool ? nodemailer.createTransport({ url: smtpUrl, ...timeouts, pool: true, maxConnections: opts.pool, maxMessages: 1000 } as never) : nodemailer.createTransport(smtpUrl, timeouts as never);
  return {
    async send(m) {
      // `signal` is nodemailer 10's (not in @types/nodemailer yet): aborting closes the connection.
      await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, html: m.html, text: m.text, ...(m.headers ? { headers: m.headers } : {}), signal: AbortSignal.timeout(SEND_DEADLINE_MS) } as SendMailOptions);
    },
    close: () => transporter.close(),
  };
}

/**
 * Development without SMTP_URL: each message becomes an .eml file in the outbox folder and its
 * links are printed, so a newcomer can click through sign-up without a mail server.
 */
export function createFolderTransport(dir: string, logger: Logger): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      const info = (await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, html: m.html, text: m.text, ...(m.headers ? { headers: m.headers } : {}) })) as { message: Buffer };
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${m.to.replace(/[^a-z0-9@.]/gi, '_')}.eml`);
      writeFileSync(file, info.message);
      const links = m.text.match(/https?:\/\/\S+/g) ?? [];
      logger.info({ to: m.to, subject: m.subject, file }, 'mail written to the outbox folder (no SMTP_URL)');
      console.log(`\n  ✉  To ${m.to}: ${m.subject}\n${links.map((l) => `     ${l}`).join('\n')}\n`);
    },
    close: () => transporter.close(),
  };
}

/** Renders views/emails/<name>.html.ejs and .text.ejs with the same data. */
export async function renderEmail(name: string, data: Record<string, unknown>): Promise<{ html: string; text: string }> {
  const dir = path.join(viewsDir, 'emails');
  const [html, text] = await Promise.all([
    ejs.renderFile(path.join(dir, `${name}.html.ejs`), data, { cache: true, root: viewsDir }),
    ejs.renderFile(path.join(dir, `${name}.text.ejs`), data, { cache: true, root: viewsDir, escape: (s: unknown) => String(s ?? '') }),
  ]);
  return { html, text };
}

const MAX_ATTEMPTS = 10;
/** 1, 2, 4 … minutes, at most 6 hours between tries. */
const backoffMs = (attempts: number) => Math.min(2 ** (attempts - 1) * 60_000, 6 * 3_600_000);
/**
 * How long a sender may hold a claimed message before another may take it over (the sender died
 * or hung): twice SEND_DEADLINE_MS, so a live sender always finishes within its claim.
 */
export const CLAIM_LEASE_MS = 2 * 60_000;

/**
 * Mail goes through an outbox table written in the same transaction as the change it reports,
 * so a committed change always gets its email and a rolled-back one never does. The request
 * then tries to send at once; if SMTP is down the `deliver-email` job retries with backoff.
 * SMTP is never called inside a database transaction: a sender claims a message in one short
 * statement, sends with no connection held, then marks it sent (dropping its body, which may
 * hold a live link or code) or due again. A slow or stalled SMTP server therefore holds no row
 * lock and no pool connection, and a message is sent once even when senders race.
 */
export function createMailService(deps: {
  db: Db;
  outbox: EmailOutboxModel;
  transport: MailTransport;
  /** Bulk mail's transport (pooled connections), when it differs from `transport`. */
  bulkTransport?: MailTransport;
  from: string;
  brand: Record<string, unknown>;
  clock: Clock;
  logger: Logger;
}) {
  const { db, outbox, transport, clock, logger } = deps;

  async function send(row: OutboxRow): Promise<'sent' | 'retry'> {
    try {
      await transport.send({ from: deps.from, to: row.to_address, subject: row.subject, html: row.html, text: row.text, ...(row.headers ? { headers: row.headers } : {}) });
    } catch (err) {
      const final = row.attempts >= MAX_ATTEMPTS;
      await outbox.markFailed(row, { final, nextAttemptAt: new Date(clock.now().getTime() + backoffMs(row.attempts)), error: String((err as Error).message ?? err) });
      logger.warn({ err, outboxId: row.id, attempts: row.attempts, template: row.template }, final ? 'email failed for good' : 'email send failed; will retry');
      return 'retry';
    }
    if (!(await outbox.markSent(row, clock.now()))) logger.warn({ outboxId: row.id }, 'email sent after its claim ran out; another sender may have sent it too');
    return 'sent';
  }

  async function deliver(id: number): Promise<'sent' | 'retry' | 'skipped'> {
    const row = await outbox.claim(clock.now(), CLAIM_LEASE_MS, id);
    return row ? send(row) : 'skipped';
  }

  return {
    /**
     * Renders a template and queues it, inside the caller's transaction when given one.
     * `options.headers` go out with the message (newsletters' List-Unsubscribe headers).
     */
    async queue(template: string, to: string, subject: string, data: Record<string, unknown>, trx?: Knex.Transaction, options: { headers?: Record<string, string> } = {}): Promise<number> {
      const { html, text } = await renderEmail(template, { ...deps.brand, ...data, subject });
      // Times from the injectable clock, like every check made on them (due, retention).
      const now = clock.now();
      return outbox.insert({ to_address: to, subject, html, text, template, created_at: now, next_attempt_at: now, ...(options.headers ? { headers: options.headers } : {}) }, trx ?? db);
    },

    deliver,

    /**
     * Sends one message at once through the transport, not the outbox, and throws what the
     * transport throws (nodemailer's `responseCode` tells 5xx from 4xx). For bulk senders that
     * keep their own per-recipient record (newsletter issues).
     */
    sendDirect: (message: MailMessage) => (deps.bulkTransport ?? transport).send({ from: deps.from, ...message }),

    /** Tries to send now without making the caller wait or fail; the job covers any failure. */
    sendSoon(ids: number[]): void {
      for (const id of ids) {
        deliver(id).catch((err: unknown) => logger.error({ err, outboxId: id }, 'email delivery attempt crashed'));
      }
    },

    /** Sends every message that is due; used by the retry job. Returns how many were sent. */
    async deliverDue(limit = 50): Promise<number> {
      let sent = 0;
      // Claimed one by one as each send starts: a batch claimed at once would see its last
      // claims run out while the first sends hang, and another sender would send those too.
      for (let i = 0; i < limit; i++) {
        const row = await outbox.claim(clock.now(), CLAIM_LEASE_MS);
        if (!row) break;
        if ((await send(row)) === 'sent') sent++;
      }
      return sent;
    },

    /** Deletes sent and given-up messages older than the retention period (the prune job). */
    pruneOlderThan(days: number): Promise<number> {
      return outbox.pruneBefore(new Date(clock.now().getTime() - days * 86_400_000));
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
