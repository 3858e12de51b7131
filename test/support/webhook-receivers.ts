import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local stand-ins for Discord and Slack incoming webhooks (docs/operations.md): they check the
 * payload's shape and limits (400 on a violation, as the services do), answer 204 / 200 "ok",
 * and can be told to answer 429 (Discord: JSON retry_after + Retry-After; Slack: Retry-After) or
 * 500 for the next requests. Every request is recorded with what was answered.
 */

export type Behaviour = { status: 429; retryAfter: number } | { status: number; body?: string };

export interface ReceivedRequest {
  at: number;
  path: string;
  body: unknown;
  raw: string;
  status: number;
  /** The violations found (empty for a valid payload). */
  problems: string[];
}

export interface WebhookReceiver {
  kind: 'discord' | 'slack';
  url: string;
  requests: ReceivedRequest[];
  /** Requests answered 2xx. */
  accepted(): ReceivedRequest[];
  /** Every request body received, joined (to look for what must never be sent). */
  raw(): string;
  /** The next requests get these answers, in order; afterwards the normal success. */
  queue(...behaviours: Behaviour[]): void;
  /** Every request gets this answer until cleared (undefined). */
  always(behaviour: Behaviour | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const len = (v: unknown) => (typeof v === 'string' ? v.length : 0);

export function discordProblems(body: unknown): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body is not a JSON object'];
  if (body.content !== undefined && (typeof body.content !== 'string' || body.content.length > 2000)) p.push('content over 2000');
  const embeds = body.embeds;
  if (body.content === undefined && !Array.isArray(embeds)) p.push('neither content nor embeds');
  if (embeds !== undefined) {
    if (!Array.isArray(embeds)) p.push('embeds is not an array');
    else {
      if (embeds.length > 10) p.push('more than 10 embeds');
      let total = 0;
      for (const e of embeds) {
        if (!isObj(e)) {
          p.push('embed is not an object');
          continue;
        }
        if (len(e.title) > 256) p.push('embed title over 256');
        if (len(e.description) > 4096) p.push('embed description over 4096');
        const footer = isObj(e.footer) ? e.footer.text : undefined;
        if (len(footer) > 2048) p.push('footer over 2048');
        const author = isObj(e.author) ? e.author.name : undefined;
        if (len(author) > 256) p.push('author name over 256');
        const fields = Array.isArray(e.fields) ? e.fields : [];
        if (fields.length > 25) p.push('more than 25 fields');
        for (const f of fields) {
          if (!isObj(f) || typeof f.name !== 'string' || typeof f.value !== 'string' || !f.name || !f.value) p.push('field needs a name and a value');
          else {
            if (f.name.length > 256) p.push('field name over 256');
            if (f.value.length > 1024) p.push('field value over 1024');
          }
        }
        total += len(e.title) + len(e.description) + len(footer) + len(author) + fields.reduce((s: number, f) => s + (isObj(f) ? len(f.name) + len(f.value) : 0), 0);
        if (e.timestamp !== undefined && Number.isNaN(Date.parse(String(e.timestamp)))) p.push('bad timestamp');
        if (e.color !== undefined && (typeof e.color !== 'number' || e.color < 0 || e.color > 0xffffff)) p.push('bad color');
      }
      if (total > 6000) p.push('embeds text over 6000');
    }
  }
  return p;
}

export function slackProblems(body: unknown): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body is not a JSON object'];
  if (typeof body.text !== 'string' && !Array.isArray(body.blocks)) p.push('no text');
  if (body.blocks !== undefined) {
    if (!Array.isArray(body.blocks)) return [...p, 'blocks is not an array'];
    if (body.blocks.length > 50) p.push('more than 50 blocks');
    for (const b of body.blocks) {
      if (!isObj(b) || typeof b.type !== 'string') {
        p.push('block without a type');
        continue;
      }
      const text = isObj(b.text) ? b.text : undefined;
      if (b.type === 'header') {
        if (!text || text.type !== 'plain_text' || typeof text.text !== 'string') p.push('header needs plain_text');
        else if (text.text.length > 150) p.push('header over 150');
      } else if (b.type === 'section') {
        if (!text && !Array.isArray(b.fields)) p.push('section needs text or fields');
        if (text && len(text.text) > 3000) p.push('section text over 3000');
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) p.push('more than 10 section fields');
          for (const f of b.fields) if (!isObj(f) || len(f.text) > 2000) p.push('section field over 2000');
        }
      } else if (b.type === 'context') {
        if (!Array.isArray(b.elements) || b.elements.length > 10) p.push('context needs 1-10 elements');
      } else if (b.type !== 'divider') p.push(`unexpected block type ${b.type}`);
    }
  }
  return p;
}

async function start(kind: 'discord' | 'slack'): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let queued: Behaviour[] = [];
  let sticky: Behaviour | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let problems: string[];
      try {
        body = JSON.parse(raw);
        problems = kind === 'discord' ? discordProblems(body) : slackProblems(body);
      } catch {
        problems = ['not JSON'];
      }
      if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/json')) problems.push('must be a JSON POST');
      const behaviour = queued.shift() ?? sticky;
      const record = (status: number) => requests.push({ at: Date.now(), path: req.url ?? '', body, raw, status, problems });
      if (behaviour?.status === 429 && 'retryAfter' in behaviour) {
        record(429);
        res.setHeader('Retry-After', String(Math.ceil(behaviour.retryAfter)));
        if (kind === 'discord') {
          res.setHeader('X-RateLimit-Limit', '5');
          res.setHeader('X-RateLimit-Remaining', '0');
          res.setHeader('X-RateLimit-Reset-After', String(behaviour.retryAfter));
          res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'You are being rate limited.', retry_after: behaviour.retryAfter, global: false }));
        } else res.writeHead(429, { 'content-type': 'text/plain' }).end('rate_limited');
        return;
      }
      if (behaviour) {
        record(behaviour.status);
        res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end((behaviour as { body?: string }).body ?? (kind === 'slack' ? 'rollup_error' : JSON.stringify({ message: 'Internal Server Error' })));
        return;
      }
      if (problems.length) {
        record(400);
        if (kind === 'discord') res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 50035, message: 'Invalid Form Body', errors: problems }));
        else res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      if (kind === 'discord') {
        record(204);
        res.writeHead(204).end();
      } else {
        record(200);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const path = kind === 'discord' ? '/api/webhooks/1234567890/Zx9SecretWebhookTokenAbc123DEF456ghi789JKL012mno345' : '/services/T0000/B0000/Xy7SecretSlackToken9876';
  return {
    kind,
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    raw: () => requests.map((r) => r.raw).join('\n'),
    queue: (...b) => {
      queued.push(...b);
    },
    always: (b) => {
      sticky = b;
    },
    reset: () => {
      requests.length = 0;
      queued = [];
      sticky = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function startWebhookReceivers(): Promise<{ discord: WebhookReceiver; slack: WebhookReceiver; env: Record<string, string>; reset(): void; close(): Promise<void> }> {
  const [discord, slack] = await Promise.all([start('discord'), start('slack')]);
  return {
    discord,
    slack,
    env: { ALERT_DISCORD_WEBHOOK_URL: discord.url, ALERT_SLACK_WEBHOOK_URL: slack.url },
    reset() {
      discord.reset();
      slack.reset();
    },
    async close() {
      await Promise.all([discord.close(), slack.close()]);
    },
  };
}
