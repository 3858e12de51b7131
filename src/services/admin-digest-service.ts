import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { changePercent } from '../lib/date-range.js';
import { addDays, istDayOf, istDayStart } from '../lib/india-time.js';
import type { Logger } from '../lib/logger.js';
import { formatINR } from '../lib/money.js';
import { formatCount, formatDate } from '../lib/view-helpers.js';
import type { AnalyticsService } from './analytics-service.js';
import type { MailService } from './mail-service.js';

/** What the digest compares: yesterday against the day before and the same weekday last week. */
const LINES = [
  { key: 'revenue', label: 'Revenue (net of refunds)', kind: 'money', higherIsBetter: true, of: (d: Record<string, number>) => (d.revenue ?? 0) - (d.refunds ?? 0) },
  { key: 'orders', label: 'Paid orders', kind: 'count', higherIsBetter: true, of: (d: Record<string, number>) => d.orders_paid ?? 0 },
  { key: 'newCustomers', label: 'New customers', kind: 'count', higherIsBetter: true, of: (d: Record<string, number>) => d.new_customers ?? 0 },
  { key: 'visitors', label: 'Shoppers who viewed a product', kind: 'count', higherIsBetter: true, of: (d: Record<string, number>) => d.visitors ?? 0 },
  { key: 'abandoned', label: 'Abandoned carts', kind: 'count', higherIsBetter: false, of: (d: Record<string, number>) => d.carts_abandoned ?? 0 },
  { key: 'failedPayments', label: 'Failed payments', kind: 'count', higherIsBetter: false, of: (d: Record<string, number>) => d.payments_failed ?? 0 },
  { key: 'signins', label: 'Sign-ins', kind: 'count', higherIsBetter: true, of: (d: Record<string, number>) => d.signins ?? 0 },
] as const;

export interface DigestLine {
  key: string;
  label: string;
  kind: 'money' | 'count';
  higherIsBetter: boolean;
  value: number;
  dayBefore: number;
  lastWeek: number;
  vsDayBefore: number | undefined;
  vsLastWeek: number | undefined;
  /** The same, written for the email: "₹1,290", "▲ 20%", "new". */
  text: { value: string; dayBefore: string; lastWeek: string; vsDayBefore: string; vsLastWeek: string };
}

const changeText = (c: number | undefined) => (c === undefined ? 'new' : c > 0 ? `▲ ${c}%` : c < 0 ? `▼ ${-c}%` : '● 0%');

/** "08:00" → minutes after India midnight. */
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The admins' morning email: yesterday's figures (India days) against the day before and the same
 * weekday last week, what sold, what was abandoned, failed payments, and what needs someone.
 *
 * Sent once a day even with several workers: the job runs every few minutes, and the first run
 * after the configured hour claims the day with an insert into admin_digests (primary key: the
 * day) in the same transaction that queues the mails. A second worker's insert conflicts and
 * sends nothing; a crash before the commit leaves no claim, so the next run sends it.
 */
export function createAdminDigestService(deps: { db: Db; analytics: AnalyticsService; mail: MailService; clock: Clock; logger: Logger; settings: { baseUrl: string; storeName: string; hourIst: string } }) {
  const { db, analytics, mail, clock } = deps;

  /** Things that need a person, as counts (only the non-zero ones are shown). */
  async function attention() {
    const count = async (q: Promise<{ n: string | number }[]>) => Number((await q)[0]?.n ?? 0);
    const [orders, alerts, testimonials, mailFailed] = await Promise.all([
      count(db('orders').whereNotNull('attention_at').count({ n: '*' }) as unknown as Promise<{ n: string }[]>),
      count(db('alerts').whereIn('status', ['pending', 'failed']).count({ n: '*' }) as unknown as Promise<{ n: string }[]>),
      count(db('testimonials').where({ status: 'pending' }).count({ n: '*' }) as unknown as Promise<{ n: string }[]>),
      count(db('email_outbox').where({ status: 'failed' }).count({ n: '*' }) as unknown as Promise<{ n: string }[]>),
    ]);
    return [
      { label: 'Orders flagged for attention', count: orders, href: '/admin/orders?status=attention' },
      { label: 'Alerts not yet delivered', count: alerts, href: '/admin/alerts' },
      { label: 'Testimonials waiting for review', count: testimonials, href: '/admin/testimonials?status=pending' },
      { label: 'Emails that could not be sent', count: mailFailed, href: '/admin' },
    ].filter((a) => a.count > 0);
  }

  /** The digest of one closed India day. */
  async function build(day: string) {
    const [y, before, week] = await analytics.dayTotals([day, addDays(day, -1), addDays(day, -7)]);
    const lines: DigestLine[] = LINES.map((l) => {
      const value = l.of(y!);
      const dayBefore = l.of(before!);
      const lastWeek = l.of(week!);
      const show = (v: number) => (l.kind === 'money' ? formatINR(v) : formatCount(v));
      const vsDayBefore = changePercent(value, dayBefore);
      const vsLastWeek = changePercent(value, lastWeek);
      return {
        key: l.key, label: l.label, kind: l.kind, higherIsBetter: l.higherIsBetter, value, dayBefore, lastWeek, vsDayBefore, vsLastWeek,
        text: { value: show(value), dayBefore: show(dayBefore), lastWeek: show(lastWeek), vsDayBefore: changeText(vsDayBefore), vsLastWeek: changeText(vsLastWeek) },
      };
    });
    const [topProducts, abandonedProducts, needs] = await Promise.all([analytics.topNamed('product_revenue', day, day, 5), analytics.topNamed('abandoned_product', day, day, 5), attention()]);
    return {
      day,
      dayLabel: formatDate(istDayStart(day)),
      lines,
      abandonedValue: formatINR(y!.abandoned_value ?? 0),
      topProducts: topProducts.map((p) => ({ name: p.name, value: formatINR(p.value) })),
      abandonedProducts: abandonedProducts.map((p) => ({ name: p.name, carts: formatCount(p.value) })),
      attention: needs.map((a) => ({ ...a, url: `${deps.settings.baseUrl}${a.href}` })),
    };
  }

  return {
    build,

    /**
     * Sends yesterday's digest if it is past the hour (India time) and nobody sent it yet.
     * Returns how many admins it went to (0 when not due, already sent, or nobody wants it).
     */
    async sendDue(): Promise<number> {
      const now = clock.now();
      const today = istDayOf(now);
      const minutesToday = (now.getTime() - istDayStart(today).getTime()) / 60_000;
      if (minutesToday < minutesOf(deps.settings.hourIst)) return 0;
      const day = addDays(today, -1);
      if (await db('admin_digests').where({ day }).first('day')) return 0;
      const digest = await build(day);
      const ids = await db.transaction(async (trx) => {
        const claimed = await trx('admin_digests').insert({ day, claimed_at: now }).onConflict('day').ignore().returning('day');
        if (!claimed.length) return [];
        const admins = (await trx('users').where({ role: 'admin', admin_digest_opt_out: false }).whereNull('disabled_at').orderBy('id').select('email', 'name')) as { email: string; name: string }[];
        const orders = digest.lines[1]!.value;
        const subject = `${deps.settings.storeName} on ${digest.dayLabel}: ${digest.lines[0]!.text.value} from ${formatCount(orders)} ${orders === 1 ? 'order' : 'orders'}`;
        const queued: number[] = [];
        for (const a of admins) queued.push(await mail.queue('admin-digest', a.email, subject, { ...digest, name: a.name, adminUrl: `${deps.settings.baseUrl}/admin`, settingsUrl: `${deps.settings.baseUrl}/admin#digest` }, trx));
        await trx('admin_digests').where({ day }).update({ sent_at: now, recipients: admins.length });
        return queued;
      });
      // Sent now where possible; the deliver-email job retries any that fail.
      for (const id of ids) await mail.deliver(id).catch((err: unknown) => deps.logger.warn({ err, outboxId: id }, 'digest email not sent yet; will retry'));
      if (ids.length) deps.logger.info({ day, recipients: ids.length }, 'admin digest sent');
      return ids.length;
    },

    /** Whether an admin receives the digest. */
    async wants(userId: number): Promise<boolean> {
      const row = (await db('users').where({ id: userId }).first('admin_digest_opt_out')) as { admin_digest_opt_out: boolean } | undefined;
      return row ? !row.admin_digest_opt_out : false;
    },

    /** Turns the digest on or off for one admin. */
    async setWanted(userId: number, wanted: boolean): Promise<void> {
      await db('users').where({ id: userId, role: 'admin' }).update({ admin_digest_opt_out: !wanted });
    },
  };
}

export type AdminDigestService = ReturnType<typeof createAdminDigestService>;
