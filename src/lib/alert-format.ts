/**
 * What an alert looks like on Discord and Slack: one redaction pass over everything that leaves
 * the store, human titles per kind ("12 failed payments in the last 10 min"), and payloads cut to
 * each service's limits (docs/operations.md) so a huge error never turns into a 400.
 */

const REDACTED = '[redacted]';

/** Keys whose values are never shown, whatever they hold. */
const SECRET_KEY = /secret|token|passw|pwd|authori[sz]ation|cookie|card|cvv|cvc|signature|key|session|sid$|otp|credential/i;

/** 13–19 digits that pass the Luhn check: a card number. */
function isLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Removes secrets from free text: key=value pairs, bearer tokens, URL passwords, long hex/base64, card numbers. */
export function redactText(text: string): string {
  return (
    text
      // user:password@ in URLs (postgres://, smtp://, https://)
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, `$1${REDACTED}@`)
      // Authorization: Bearer …, Basic …
      .replace(/\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`)
      // password=…, "token": "…", api_key: …
      .replace(
        /(["']?\b[\w-]*(?:secret|token|passw(?:or)?d|passwd|pwd|api[_-]?key|authori[sz]ation|cookie|cvv|cvc|signature|session[_-]?id)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&)}\]]+)/gi,
        `$1${REDACTED}`,
      )
      // Webhook URLs of the alert channels themselves (their path is the secret).
      .replace(/(https?:\/\/[^\s/]*(?:discord(?:app)?\.com\/api\/webhooks|hooks\.slack\.com\/services))\/[^\s"')]+/gi, `$1/${REDACTED}`)
      // Long hex (keys, hashes, session ids).
      .replace(/\b[0-9a-f]{32,}\b/gi, REDACTED)
      // Long base64 / base64url runs that mix letters and digits (tokens, JWT parts, keys).
      .replace(/[A-Za-z0-9+/_-]{32,}={0,2}/g, (m) => (/[0-9]/.test(m) && /[A-Z]/.test(m) && /[a-z]/.test(m) ? REDACTED : m))
      // Card numbers (with or without spaces/dashes).
      .replace(/\b\d(?:[ -]?\d){12,18}\b/g, (m) => (isLuhn(m.replace(/\D/g, '')) ? '[redacted card]' : m))
  );
}

/** A deep copy with secret-looking keys' values replaced and every string passed through redactText. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '…';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** At most `max` UTF-16 units, ending in an ellipsis when cut, never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  let cut = text.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export interface AlertMessage {
  id: number;
  kind: string;
  title: string;
  detail: Record<string, unknown>;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
}

const minutesSince = (from: Date, now: Date) => Math.max(1, Math.ceil((now.getTime() - from.getTime()) / 60_000));

/** One line the owner understands at a glance, with the count when repeats were folded in. */
export function headline(a: AlertMessage, now: Date): string {
  const n = a.occurrences;
  const inLast = `in the last ${minutesSince(a.first_seen_at, now)} min`;
  const d = a.detail;
  const route = typeof d.route === 'string' ? d.route : '';
  const job = typeof d.job === 'string' ? d.job : '';
  const many = (plural: string) => `${n} ${plural} ${inLast}`;
  switch (a.kind) {
    case 'payment_failed':
      return n > 1 ? many('failed payments') : 'A payment failed';
    case 'amount_mismatch':
      return n > 1 ? many('payments that did not match their order’s amount') : 'A payment did not match its order’s amount';
    case 'coupon_over_limit':
      return n > 1 ? many('coupon uses over their limit') : 'A coupon was used beyond its limit';
    case 'unmatched_refund':
      return n > 1 ? many('refunds for payments this store does not know') : 'A refund for a payment this store does not know';
    case 'unknown_order_webhook':
      return n > 1 ? many('payment webhooks for unknown orders') : 'A payment webhook named an unknown order';
    case 'webhook_signature':
      return n > 1 ? many('webhooks with a bad signature') : 'A webhook failed its signature check';
    case 'server_error':
      return n > 1 ? `${n} server errors on ${route || 'a page'} ${inLast}` : `Server error on ${route || 'a page'}`;
    case 'job_failed':
      return n > 1 ? `Job ${job || 'a job'} failed ${n} times ${inLast}` : `Job ${job || 'a job'} failed`;
    case 'backup_failed':
      return n > 1 ? many('failed database backups') : 'The database backup failed';
    case 'restore_drill_failed':
      return n > 1 ? many('failed restore drills') : 'The restore drill failed';
    case 'mail_stuck':
      return a.title;
    case 'test':
      return 'Test alert: delivery works';
    case 'summary':
      return a.title;
    default:
      return n > 1 ? `${a.title} (${n} times ${inLast})` : a.title;
  }
}

const COLORS: Record<string, number> = {
  server_error: 0xd93025,
  payment_failed: 0xd93025,
  amount_mismatch: 0xd93025,
  backup_failed: 0xd93025,
  restore_drill_failed: 0xd93025,
  job_failed: 0xe37400,
  mail_stuck: 0xe37400,
  test: 0x1a73e8,
};

/** The facts of an alert as name/value pairs, redacted and flattened to text. */
function facts(a: AlertMessage): [string, string][] {
  const detail = redact(a.detail) as Record<string, unknown>;
  return Object.entries(detail).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? String(v)]);
}

function describe(a: AlertMessage, now: Date): string {
  const head = redactText(a.title);
  const when = a.occurrences > 1 ? `${a.occurrences} times, first ${a.first_seen_at.toISOString()}, last ${a.last_seen_at.toISOString()}` : `At ${a.last_seen_at.toISOString()}`;
  void now;
  return `${head}\n${when}`;
}

export const DISCORD = { title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, total: 6000, content: 2000 } as const;
export const SLACK = { blocks: 50, section: 3000, header: 150, text: 3000, contextElements: 10 } as const;

export interface DiscordPayload {
  username: string;
  allowed_mentions: { parse: never[] };
  content?: string;
  embeds: { title: string; description: string; color: number; timestamp: string; footer: { text: string }; fields: { name: string; value: string; inline?: boolean }[] }[];
}

export function discordPayload(a: AlertMessage, opts: { storeName: string; now: Date }): DiscordPayload {
  const title = truncate(headline(a, opts.now), DISCORD.title);
  const footer = truncate(`${opts.storeName} · alert #${a.id} · ${a.kind}`, DISCORD.footer);
  let description = truncate(describe(a, opts.now), DISCORD.description);
  const all = facts(a);
  const fields = all.slice(0, DISCORD.fields).map(([name, value]) => ({ name: truncate(name || '-', DISCORD.fieldName), value: truncate(value || '-', DISCORD.fieldValue), inline: value.length <= 40 }));
  if (all.length > DISCORD.fields) fields[DISCORD.fields - 1] = { name: 'More', value: `${all.length - DISCORD.fields + 1} more facts not shown`, inline: false };
  // All embed text together ≤ 6,000: shorten the description first, then drop fields from the end.
  const size = () => title.length + description.length + footer.length + fields.reduce((s, f) => s + f.name.length + f.value.length, 0);
  if (size() > DISCORD.total) description = truncate(description, Math.max(1, description.length - (size() - DISCORD.total)));
  if (size() > DISCORD.total) description = truncate(description, 200);
  while (size() > DISCORD.total && fields.length) fields.pop();
  return {
    username: truncate(`${opts.storeName} alerts`, 80),
    allowed_mentions: { parse: [] },
    embeds: [{ title, description, color: COLORS[a.kind] ?? 0x5f6368, timestamp: a.last_seen_at.toISOString(), footer: { text: footer }, fields }],
  };
}

/** Slack mrkdwn: &, < and > must be escaped, which also keeps <!channel> from pinging anyone. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Cut first, escape after, then cut again (escaping lengthens the text). */
const slackText = (s: string, max: number) => truncate(slackEscape(truncate(s, max)), max);

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
}

export function slackPayload(a: AlertMessage, opts: { storeName: string; now: Date }): SlackPayload {
  const head = headline(a, opts.now);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(head, SLACK.header), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: slackText(describe(a, opts.now), SLACK.section) } },
  ];
  const all = facts(a);
  // Facts two to a section as fields (each ≤ 2,000; ≤ 10 per section), leaving room for the context block.
  const room = SLACK.blocks - blocks.length - 2;
  const chunks: [string, string][][] = [];
  for (let i = 0; i < all.length && chunks.length < room; i += 10) chunks.push(all.slice(i, i + 10));
  for (const chunk of chunks) {
    blocks.push({ type: 'section', fields: chunk.map(([k, v]) => ({ type: 'mrkdwn', text: slackText(`*${k}*\n${v}`, 2000) })) });
  }
  const shown = chunks.reduce((s, c) => s + c.length, 0);
  if (shown < all.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${all.length - shown} more facts not shown` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackText(`${opts.storeName} · alert #${a.id} · ${a.kind}`, SLACK.section) }] });
  return { text: slackText(`${head}: ${redactText(a.title)}`, SLACK.text), blocks: blocks.slice(0, SLACK.blocks) };
}

/** Only the host of a webhook URL may be shown (its path is the secret). */
export function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return 'invalid URL';
  }
}
