import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createTestContext, type TestContext } from './context.js';

/**
 * A real SMTP server on localhost that keeps every message it receives, for tests to read.
 * `setDown(true)` makes it refuse connections' mail, as an outage would; `stallFor(ms)` makes it
 * accept connections and say nothing (no greeting) for that long, as a provider in trouble does.
 */
export interface Mailbox {
  url: string;
  messages: ParsedMail[];
  setDown(down: boolean): void;
  /** New connections wait this long from now for the greeting; those already open are unaffected. */
  stallFor(ms: number): void;
  waitFor(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

export interface MailboxOptions {
  /** Runs as a client connects, before the greeting (which waits for it): a hook to act mid-send. */
  onConnect?: () => Promise<void> | void;
  /** Recipients refused at RCPT TO with 550 (a permanent failure: an address that does not exist). */
  rejectRecipient?: (address: string) => boolean;
  /**
   * Runs on each received message before it is kept and answered: false refuses it (451, not kept); a
   * promise that does not settle holds the client waiting for the server's 250 (a crash test).
   */
  beforeAccept?: (m: ParsedMail) => Promise<boolean> | boolean;
  /** Parse and keep only each message's headers (thousands of messages: much less work). */
  lean?: boolean;
}

/** The header block of a message stream (the body is read and dropped). */
function headerBlock(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      resolve(end === -1 ? all : all.subarray(0, end + 4));
    });
  });
}

export async function startMailbox(opts: MailboxOptions = {}): Promise<Mailbox> {
  const messages: ParsedMail[] = [];
  let down = false;
  let stallUntil = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, cb) {
      const stall = new Promise((r) => setTimeout(r, Math.max(0, stallUntil - Date.now())));
      stall.then(() => opts.onConnect?.()).then(
        () => cb(),
        (err: Error) => cb(err),
      );
    },
    onMailFrom(_address, _session, cb) {
      if (down) return cb(Object.assign(new Error('Service not available'), { responseCode: 421 }));
      cb();
    },
    onRcptTo(address, _session, cb) {
      if (opts.rejectRecipient?.(address.address.toLowerCase())) return cb(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      cb();
    },
    onData(stream, _session, cb) {
      (opts.lean ? headerBlock(stream).then((h) => simpleParser(h)) : simpleParser(stream))
        .then(async (m) => {
          if (opts.beforeAccept && !(await opts.beforeAccept(m))) return cb(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          messages.push(m);
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  });
  // A client that gave up during a stall leaves a socket error behind; that is the point, not a fault.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address?.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    setDown: (d) => {
      down = d;
    },
    stallFor: (ms) => {
      stallUntil = Date.now() + ms;
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
