import { createHmac, hkdfSync } from 'node:crypto';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import type { KeyRing } from '../lib/crypto-box.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { formatINR } from '../lib/money.js';
import { safeEqual } from '../lib/tokens.js';
import type { CartReminderModel, DueCart, OptOutSource, ReminderStep } from '../models/cart-reminders.js';
import type { CartService, CartView } from './cart-service.js';
import type { DealService } from './deal-service.js';
import type { MailService } from './mail-service.js';

/**
 * Abandoned-cart reminders (issue 14 item 9). A signed-in shopper whose cart has lines and who
 * paid no order since it last changed (add, remove, merge: `carts.changed_at`) gets a reminder
 * CART_REMINDER_FIRST_MINUTES after that change and a second one CART_REMINDER_SECOND_HOURS
 * after it. A change restarts the clock for the next step; buying, emptying the cart, turning
 * reminders off, an unverified or disabled account stop them. At most two per cart in any 30
 * days, whatever its changes, and never the same step twice for one version of the cart.
 *
 * The second may offer CART_REMINDER_COUPON_CODE, when that is a live coupon this shopper may
 * use that applies to their cart; the mail's link puts it on the cart. Each mail lists the lines
 * priced now (the pricing service, through the cart) and links to `/cart/return/<token>`.
 *
 * Sending is safe with several workers: the reminder row (unique per cart, version and step) is
 * inserted with ON CONFLICT DO NOTHING in the transaction that queues its mail, so the loser of
 * a race queues nothing. A reminder is "recovered" by the user's first paid order within 7 days
 * after it was sent; the same job matches those by scanning, so checkout needs no hook.
 */

export const CAP_WINDOW_MS = 30 * 86_400_000;
/** A cart untouched this long is not reminded (it also keeps a first deploy from mailing every old cart). */
export const MAX_CART_AGE_MS = 7 * 86_400_000;
export const RECOVERY_WINDOW_MS = 7 * 86_400_000;
/** The recovery scan looks back this far, so a worker down for a week still matches every order. */
const RECOVERY_SCAN_MS = 2 * RECOVERY_WINDOW_MS;
/** A return link older than this still leads to the cart but records nothing and applies no code. */
export const LINK_TTL_MS = 30 * 86_400_000;
export const BATCH_SIZE = 200;

export const INVALID_LINK = 'This link is not valid. Please use the link from your most recent email, or sign in to see your cart.';

export interface CartReminderSettings {
  baseUrl: string;
  storeName: string;
  dataKeys: KeyRing;
  firstMinutes: number;
  secondHours: number;
  couponCode: string | undefined;
}

export interface CartReminderDeps {
  db: Db;
  reminders: CartReminderModel;
  cart: CartService;
  deals: DealService;
  mail: MailService;
  clock: Clock;
  logger: Logger;
  settings: CartReminderSettings;
}

// --- signed tokens -------------------------------------------------------------------------------
// `<id>.<HMAC-SHA256(key, "<purpose>:<id>")>`, the key derived from DATA_ENCRYPTION_KEY (previous
// keys still verify, like the newsletter's). `return` names a reminder; `off` names a user.

type Purpose = 'return' | 'off';
const TOKEN_SHAPE = /^([1-9]\d{0,15})\.([A-Za-z0-9_-]{43})$/;
const deriveKey = (dataKey: Buffer) => Buffer.from(hkdfSync('sha256', dataKey, 'store', 'cart-reminders', 32));
const mac = (key: Buffer, purpose: Purpose, id: number) => createHmac('sha256', key).update(`cart-reminder-${purpose}:${id}`).digest('base64url');

export function reminderKeys(ring: KeyRing) {
  const sign = deriveKey(ring.current);
  const verify = [sign, ...ring.previous.map(deriveKey)];
  return {
    sign: (purpose: Purpose, id: number) => `${id}.${mac(sign, purpose, id)}`,
    /** The id a token names if its signature holds under any key of the ring, else undefined. */
    verify(purpose: Purpose, token: unknown): number | undefined {
      const m = typeof token === 'string' ? TOKEN_SHAPE.exec(token) : null;
      if (!m) return undefined;
      const id = Number(m[1]);
      if (!Number.isSafeInteger(id)) return undefined;
      // Every key is tried (no early exit), so the time does not tell which key matched.
      return verify.map((key) => safeEqual(mac(key, purpose, id), m[2]!)).includes(true) ? id : undefined;
    },
  };
}

interface MailCoupon {
  code: string;
  name: string;
  discount: string;
  total: string;
}

export function createCartReminderService(d: CartReminderDeps) {
  const { db, reminders, clock, settings } = d;
  const keys = reminderKeys(settings.dataKeys);
  const firstDelayMs = settings.firstMinutes * 60_000;
  const secondDelayMs = settings.secondHours * 3_600_000;
  // The second comes as long after the first as the schedule puts between them.
  const gapMs = Math.max(0, secondDelayMs - firstDelayMs);
  const link = (path: string) => `${settings.baseUrl}${path}`;

  const returnUrl = (reminderId: number) => link(`/cart/return/${keys.sign('return', reminderId)}`);
  const unsubscribeUrl = (userId: number) => link(`/cart-reminders/unsubscribe?token=${keys.sign('off', userId)}`);
  /** RFC 2369 / RFC 8058 headers, as the newsletter sends them. */
  const listHeaders = (userId: number): Record<string, string> => ({
    'List-Unsubscribe': `<${unsubscribeUrl(userId)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  });

  /** The configured code, if this shopper may use it now and it takes something off this cart. */
  async function couponFor(cart: CartView, userId: number): Promise<MailCoupon | undefined> {
    const code = settings.couponCode;
    if (!code || cart.coupon?.applied) return undefined;
    const found = await d.deals.couponFor(code, userId);
    if (!found.offer) return undefined;
    const quoted = await d.cart.quote(
      cart.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
      found.offer.code!,
    );
    if (!quoted.coupon?.applied || quoted.couponDiscount <= 0) return undefined;
    return { code: found.offer.code!, name: found.offer.name, discount: formatINR(quoted.couponDiscount), total: formatINR(quoted.total) };
  }

  const subjectOf = (step: ReminderStep, coupon: MailCoupon | undefined) =>
    step === 1 ? 'You left something in your cart' : coupon ? `Your cart is saved, and code ${coupon.code} takes ${coupon.discount} off` : 'Still thinking it over? Your cart is saved';

  /** Sends one due cart's reminder; false when there is nothing to send or another worker has it. */
  async function sendOne(due: DueCart, now: Date): Promise<number | undefined> {
    const cart = await d.cart.getCart(due.user_id);
    // Everything in it was hidden or bought meanwhile: an empty cart gets no reminder.
    if (cart.items.length === 0) return undefined;
    const coupon = due.step === 2 ? await couponFor(cart, due.user_id) : undefined;
    const subject = subjectOf(due.step, coupon);
    return db.transaction(async (trx) => {
      const id = await reminders.claim(
        { cart_id: due.cart_id, user_id: due.user_id, step: due.step, cart_changed_at: due.changed_at, sent_at: now, item_count: cart.count, cart_total_paise: cart.total, coupon_code: coupon?.code ?? null },
        trx,
      );
      if (id === undefined) return undefined;
      const data = {
        name: due.name,
        step: due.step,
        items: cart.items.map((i) => ({
          title: i.title,
          quantity: i.quantity,
          license: i.licenseType,
          unitPrice: i.discountPercent > 0 || i.salePrice < i.unitPrice ? formatINR(i.unitPrice) : undefined,
          salePrice: formatINR(i.salePrice),
          lineTotal: formatINR(i.lineTotal),
          offer: i.offer?.name,
        })),
        cartCoupon: cart.coupon?.applied ? { code: cart.coupon.code, discount: formatINR(cart.coupon.discount) } : undefined,
        total: formatINR(cart.total),
        coupon,
        returnUrl: returnUrl(id),
        unsubscribeUrl: unsubscribeUrl(due.user_id),
      };
      const outboxId = await d.mail.queue('cart-reminder', due.email, subject, data, trx, { headers: listHeaders(due.user_id) });
      await reminders.setOutbox(id, outboxId, trx);
      return outboxId;
    });
  }

  /**
   * Every due reminder, in batches of BATCH_SIZE; returns how many were queued. The job calls
   * it; it is also safe to call concurrently (see the header).
   */
  async function sendDue(): Promise<number> {
    const now = clock.now();
    let after: { changedAt: Date; cartId: number } | undefined;
    let queued = 0;
    for (;;) {
      const batch = await reminders.due({ now, oldest: new Date(now.getTime() - MAX_CART_AGE_MS), firstDelayMs, secondDelayMs, gapMs, capSince: new Date(now.getTime() - CAP_WINDOW_MS), limit: BATCH_SIZE, after });
      const ids: number[] = [];
      for (const due of batch) {
        try {
          const outboxId = await sendOne(due, now);
          if (outboxId !== undefined) ids.push(outboxId);
        } catch (err) {
          // One bad cart must not stop the others; it is tried again next run.
          d.logger.error({ err, cartId: due.cart_id }, 'cart reminder failed');
        }
      }
      queued += ids.length;
      d.mail.sendSoon(ids);
      if (batch.length < BATCH_SIZE) return queued;
      const last = batch.at(-1)!;
      after = { changedAt: last.changed_at, cartId: last.cart_id };
    }
  }

  /** Matches recent reminders with their user's first paid order within 7 days; returns how many. */
  async function markRecovered(): Promise<number> {
    return reminders.markRecovered(new Date(clock.now().getTime() - RECOVERY_SCAN_MS), RECOVERY_WINDOW_MS);
  }

  return {
    settings: { firstMinutes: settings.firstMinutes, secondHours: settings.secondHours, couponCode: settings.couponCode },
    returnUrl,
    unsubscribeUrl,
    listHeaders,
    sendDue,
    markRecovered,

    /** The job's run: recoveries first (a purchase since the last run), then the reminders due. */
    async run(): Promise<{ recovered: number; sent: number }> {
      const recovered = await markRecovered();
      const sent = await sendDue();
      return { recovered, sent };
    },

    /**
     * The return link: records the first click and puts the reminder's code on the cart (unless
     * the cart already has one or the code no longer applies; the cart then says nothing). Never
     * signs anyone in. Returns where to go: the cart, or the sign-in page when signed out.
     */
    async followLink(token: string, signedInUserId: number | undefined): Promise<string> {
      const id = keys.verify('return', token);
      const reminder = id === undefined ? undefined : await reminders.findById(id);
      if (!reminder) throw new AppError(400, 'INVALID_TOKEN', INVALID_LINK);
      const now = clock.now();
      if (now.getTime() - reminder.sent_at.getTime() <= LINK_TTL_MS) {
        await reminders.markClicked(reminder.id, now);
        if (reminder.coupon_code) {
          const current = await d.cart.getCart(reminder.user_id);
          if (current.items.length && !current.coupon) {
            await d.cart.applyCoupon({ userId: reminder.user_id }, reminder.coupon_code).catch((err: unknown) => {
              if (!(err instanceof AppError)) throw err;
            });
          }
        }
      }
      return signedInUserId === undefined ? `/login?next=${encodeURIComponent('/cart')}` : '/cart';
    },

    /** Whether an unsubscribe token is good and the user is already out (for the page that asks first). */
    async unsubscribeTarget(token: string): Promise<{ optedOut: boolean }> {
      const userId = keys.verify('off', token);
      if (userId === undefined) throw new AppError(400, 'INVALID_TOKEN', INVALID_LINK);
      return { optedOut: await reminders.isOptedOut(userId) };
    },

    /** Turns reminders off for the token's user (the one-click POST and the page's button). Idempotent. */
    async unsubscribe(token: string, source: OptOutSource): Promise<{ changed: boolean }> {
      const userId = keys.verify('off', token);
      if (userId === undefined) throw new AppError(400, 'INVALID_TOKEN', INVALID_LINK);
      try {
        return { changed: await reminders.optOut(userId, source, clock.now()) };
      } catch (err) {
        // A validly signed token for a deleted account: nothing left to stop.
        if ((err as { code?: string }).code === '23503') return { changed: false };
        throw err;
      }
    },

    /** Turns them back on ("changed your mind?" on the confirmation page). */
    async resubscribe(token: string): Promise<{ changed: boolean }> {
      const userId = keys.verify('off', token);
      if (userId === undefined) throw new AppError(400, 'INVALID_TOKEN', INVALID_LINK);
      return { changed: await reminders.optIn(userId) };
    },
  };
}

export type CartReminderService = ReturnType<typeof createCartReminderService>;
