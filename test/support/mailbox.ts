import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createTestContext, type TestContext } from './context.js';

/**
 * A real SMTP server on localhost that keeps every message it receives, for tests to read.
 * `setDown(true)` makes it refuse connections' mail, as an outage would.
 */
export interface Mailbox {
  url: string;
  messages: ParsedMail[];
  setDown(down: boolean): void;
  waitFor(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const messages: ParsedMail[] = [];
  let down = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, _session, cb) {
      if (down) return cb(Object.assign(new Error('Service not available'), { responseCode: 421 }));
      cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then(
        (m) => {
          messages.push(m);
          cb();
        },
        (err: Error) => cb(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address?.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    setDown: (d) => {
      down = d;
    },
    to: (address) => messages.filter((m) => recipients(m).includes(address.toLowerCase())),
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching email within ${timeoutMs} ms; have: ${messages.map((m) => m.subject).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first link in a message's text part that contains `path`. */
export function linkIn(m: ParsedMail, path: string): string {
  const link = (m.text ?? '').match(/https?:\/\/\S+/g)?.find((l) => l.includes(path));
  if (!link) throw new Error(`no ${path} link in "${m.subject}": ${m.text}`);
  return link;
}

export function tokenIn(m: ParsedMail, path: string): string {
  return new URL(linkIn(m, path)).searchParams.get('token') ?? '';
}

export const mailTo = (address: string) => (m: ParsedMail) =>
  (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).some((a) => a.value.some((v) => v.address?.toLowerCase() === address.toLowerCase()));

/**
 * Mocha hooks for a suite that reads mail: a mailbox, then the app on a fresh database sending
 * to it. Read `env.t` and `env.mailbox` inside tests (they exist once `before` has run).
 */
export function useAppWithMailbox(extraEnv: NodeJS.ProcessEnv = {}) {
  const env = {} as { t: TestContext; mailbox: Mailbox };
  before(async () => {
    env.mailbox = await startMailbox();
    env.t = await createTestContext({ SMTP_URL: env.mailbox.url, ...extraEnv });
  });
  after(async () => {
    await env.t?.close();
    await env.mailbox?.close();
  });
  return env;
}
