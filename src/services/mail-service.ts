import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { Knex } from 'knex';
import nodemailer from 'nodemailer';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { viewsDir } from '../lib/paths.js';
import type { EmailOutboxModel } from '../models/email-outbox.js';

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Sends one message or throws. SMTP in production; a folder (and the console) in development. */
export interface MailTransport {
  send(message: MailMessage & { from: string }): Promise<void>;
  close(): void;
}

export function createSmtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as never);
  return {
    async send(m) {
      await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, html: m.html, text: m.text });
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
      const info = (await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, html: m.html, text: m.text })) as { message: Buffer };
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
    ejs.renderFile(path.join(dir, `${name}.html.ejs`), data, { cache: true }),
    ejs.renderFile(path.join(dir, `${name}.text.ejs`), data, { cache: true, escape: (s: unknown) => String(s ?? '') }),
  ]);
  return { html, text };
}

const MAX_ATTEMPTS = 10;
/** 1, 2, 4 … minutes, at most 6 hours between tries. */
const backoffMs = (attempts: number) => Math.min(2 ** (attempts - 1) * 60_000, 6 * 3_600_000);

/**
 * Mail goes through an outbox table written in the same transaction as the change it reports,
 * so a committed change always gets its email and a rolled-back one never does. The request
 * then tries to send at once; if SMTP is down the `deliver-email` job retries with backoff.
 * A row is locked while it is sent, so it is sent once even if the job and a request race.
 */
export function createMailService(deps: {
  db: Db;
  outbox: EmailOutboxModel;
  transport: MailTransport;
  from: string;
  brand: Record<string, unknown>;
  clock: Clock;
  logger: Logger;
}) {
  const { db, outbox, transport, clock, logger } = deps;

  async function deliver(id: number): Promise<'sent' | 'retry' | 'skipped'> {
    return db.transaction(async (trx) => {
      const row = await outbox.lockPending(id, trx);
      if (!row) return 'skipped';
      try {
        await transport.send({ from: deps.from, to: row.to_address, subject: row.subject, html: row.html, text: row.text });
        await outbox.update(id, { status: 'sent', sent_at: clock.now(), attempts: row.attempts + 1, last_error: null }, trx);
        return 'sent';
      } catch (err) {
        const attempts = row.attempts + 1;
        const failed = attempts >= MAX_ATTEMPTS;
        await outbox.update(
          id,
          {
            attempts,
            status: failed ? 'failed' : 'pending',
            next_attempt_at: new Date(clock.now().getTime() + backoffMs(attempts)),
            last_error: String((err as Error).message ?? err).slice(0, 500),
          },
          trx,
        );
        logger.warn({ err, outboxId: id, attempts, template: row.template }, failed ? 'email failed for good' : 'email send failed; will retry');
        return 'retry';
      }
    });
  }

  return {
    /** Renders a template and queues it, inside the caller's transaction when given one. */
    async queue(template: string, to: string, subject: string, data: Record<string, unknown>, trx?: Knex.Transaction): Promise<number> {
      const { html, text } = await renderEmail(template, { ...deps.brand, ...data, subject });
      return outbox.insert({ to_address: to, subject, html, text, template }, trx ?? db);
    },

    deliver,

    /** Tries to send now without making the caller wait or fail; the job covers any failure. */
    sendSoon(ids: number[]): void {
      for (const id of ids) {
        deliver(id).catch((err: unknown) => logger.error({ err, outboxId: id }, 'email delivery attempt crashed'));
      }
    },

    /** Sends every message that is due; used by the retry job. Returns how many were sent. */
    async deliverDue(limit = 50): Promise<number> {
      let sent = 0;
      for (const id of await outbox.dueIds(clock.now(), limit)) {
        if ((await deliver(id)) === 'sent') sent++;
      }
      return sent;
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
