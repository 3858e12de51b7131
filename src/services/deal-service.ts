import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import { formatINR } from '../lib/money.js';
import { formatDateTime } from '../lib/view-helpers.js';
import { toOffer, type OfferModel, type OfferRow } from '../models/offers.js';
import { isLive, nextPriceChange, type CouponResult, type Offer, type OfferBook } from './pricing.js';

/**
 * Deals as shoppers meet them: the automatic offers every price is computed from, the banners,
 * and coupon codes (checked when applied, and held by an order at checkout).
 *
 * Prices follow the clock, not a job: the active offers that have not ended are kept in memory
 * (a few rows; cleared on every change by the catalog_changed notice and by the admin service,
 * and re-read at least every 30 s), and each price is computed from the live ones at `now`. So an
 * offer starts and ends at its exact second, and `nextPriceChange` tells the page cache when
 * what it holds goes stale.
 */

export const COUPON_CODE_MAX = 40;

/** Coupon errors: 400 with the reason in `code` and the message on the `code` field. */
export class CouponError extends AppError {
  constructor(code: string, message: string, status = 400) {
    super(status, code, message, { code: message });
  }
}

export interface Banner {
  offerId: number;
  name: string;
  text: string;
  endsAt: Date;
  code: string | null;
}

export function createDealService(deps: { offers: OfferModel; clock: Clock; cacheMs?: number }) {
  const { offers, clock } = deps;
  const cacheMs = deps.cacheMs ?? 30_000;
  let loaded: { rows: OfferRow[]; all: Offer[]; at: number } | undefined;
  let loading: Promise<Offer[]> | undefined;
  let generation = 0;

  async function current(): Promise<Offer[]> {
    const now = clock.now();
    if (loaded && Date.now() - loaded.at < cacheMs) return loaded.all;
    if (!loading) {
      const started = generation;
      loading = offers
        .current(now)
        .then((rows) => {
          const all = rows.map(toOffer);
          if (started === generation) loaded = { rows, all, at: Date.now() };
          return all;
        })
        .finally(() => (loading = undefined));
    }
    return loading;
  }

  const when = (d: Date) => formatDateTime(d);

  /** Why a code cannot be used now, before looking at the cart (unknown, switched off, window, limits). */
  async function usable(code: string, userId: number | undefined, trx?: Knex.Transaction): Promise<OfferRow> {
    const row = await offers.findByCode(code, trx);
    if (!row || row.kind !== 'coupon') throw new CouponError('COUPON_UNKNOWN', 'We do not recognise that code. Check the spelling and try again.');
    if (!row.is_active) throw new CouponError('COUPON_INACTIVE', 'This code is no longer active.');
    const now = clock.now();
    if (now < new Date(row.starts_at)) throw new CouponError('COUPON_NOT_STARTED', `This code starts on ${when(new Date(row.starts_at))}.`);
    if (now >= new Date(row.ends_at)) throw new CouponError('COUPON_EXPIRED', `This code expired on ${when(new Date(row.ends_at))}.`);
    if (row.max_uses !== null || (row.max_uses_per_customer !== null && userId !== undefined)) {
      const uses = await offers.usesOf(row.id, userId, { total: row.max_uses !== null, byUser: row.max_uses_per_customer !== null }, trx);
      if (row.max_uses !== null && uses.total >= row.max_uses) throw new CouponError('COUPON_USED_UP', 'This code has been used up.', 409);
      if (userId !== undefined && row.max_uses_per_customer !== null && uses.byUser >= row.max_uses_per_customer) {
        throw new CouponError('COUPON_ALREADY_USED', row.max_uses_per_customer === 1 ? 'You have already used this code.' : `You have used this code the ${row.max_uses_per_customer} times it allows.`, 409);
      }
    }
    return row;
  }

  async function lockIfLimited(trx: Knex.Transaction, offerId: number): Promise<boolean> {
    const row = await offers.findById(offerId, trx);
    if (!row || (row.max_uses === null && row.max_uses_per_customer === null)) return false;
    await offers.lock(offerId, trx);
    return true;
  }

  return {
    /** The automatic offers live now: what every price on a page is computed from. */
    async book(): Promise<OfferBook> {
      const at = clock.now();
      return { at, automatic: (await current()).filter((o) => o.kind === 'automatic' && isLive(o, at)) };
    },

    /** Banners of the offers running now (automatic and coupon), soonest-ending first. */
    async banners(): Promise<Banner[]> {
      const at = clock.now();
      return (await current())
        .filter((o) => o.bannerText && isLive(o, at))
        .sort((a, b) => a.endsAt.getTime() - b.endsAt.getTime())
        .map((o) => ({ offerId: o.id, name: o.name, text: o.bannerText!, endsAt: o.endsAt, code: o.code }));
    },

    /**
     * When prices next change (an offer starts or ends), from what was last read; a page
     * rendered now is stale from then. Undefined when nothing is scheduled.
     */
    nextPriceChange(): Date | undefined {
      // Not read since the last change: the page may hold anything, so it is stale at once.
      if (!loaded) return clock.now();
      return nextPriceChange(loaded.all, clock.now());
    },

    clearCache(): void {
      generation++;
      loaded = undefined;
      // A read begun before the change may return what it replaced: the next caller reads afresh.
      loading = undefined;
    },

    /** The coupon a cart carries, if it is still usable; its refusal for this cart is priceLines' job. */
    async couponFor(code: string | null | undefined, userId?: number): Promise<{ offer?: Offer; error?: CouponError }> {
      if (!code) return {};
      try {
        return { offer: toOffer(await usable(code, userId)) };
      } catch (err) {
        if (err instanceof CouponError) return { error: err };
        throw err;
      }
    },

    /** Checks a code typed by a shopper against their cart, with the message they should see. */
    async check(code: string, userId: number | undefined): Promise<Offer> {
      return toOffer(await usable(code, userId));
    },

    /** The message for a code that is valid but does not fit the cart. */
    refusalError(result: CouponResult): CouponError | undefined {
      if (result.refusal === 'not_applicable') return new CouponError('COUPON_NOT_APPLICABLE', 'This code does not apply to anything in your cart.');
      if (result.refusal === 'below_minimum') {
        return new CouponError('COUPON_BELOW_MINIMUM', `Add ${formatINR(result.shortBy ?? 0)} more to use this code: it needs a cart of ${formatINR(result.offer.minCartPaise ?? 0)} or more.`);
      }
      if (result.refusal === 'not_live') return new CouponError('COUPON_EXPIRED', 'This code is not valid right now.');
      return undefined;
    },

    /**
     * At the start of a checkout's transaction, locks a coupon's offer if it has use limits (see
     * hold); a code without limits needs no counting, so its checkouts do not queue.
     */
    lockIfLimited,

    /**
     * A payment arrived for an order that had already left pending (expired, replaced or failed)
     * and so no longer held its code's use. The money is taken and the order is fulfilled anyway;
     * this says whether that use goes over the code's limits, for a person to look at.
     */
    async overLimitOnLatePayment(trx: Knex.Transaction, offerId: number, userId: number): Promise<boolean> {
      if (!(await lockIfLimited(trx, offerId))) return false;
      const row = (await offers.findById(offerId, trx))!;
      const [all, mine] = await Promise.all([
        offers.usesOf(offerId, undefined, { total: row.max_uses !== null, byUser: false }, trx),
        offers.usesOf(offerId, userId, { total: false, byUser: row.max_uses_per_customer !== null }, trx),
      ]);
      return (row.max_uses !== null && all.total >= row.max_uses) || (row.max_uses_per_customer !== null && mine.byUser >= row.max_uses_per_customer);
    },

    /**
     * Holds one use of a coupon for an order being created, inside its transaction: the offer's
     * row lock makes concurrent checkouts count one after another, so a code with 10 uses left
     * goes on exactly 10 orders. The use counts while the order is pending or paid and is freed
     * when the order fails or expires (see offer_redemptions).
     */
    async hold(trx: Knex.Transaction, offerId: number, orderId: number, userId: number, code: string): Promise<void> {
      await lockIfLimited(trx, offerId); // taken first by the caller too; taking it again is free
      const row = await usable(code, userId, trx);
      if (row.id !== offerId) throw new CouponError('COUPON_CHANGED', 'This code changed while you were checking out. Please look at your cart again.', 409);
      await offers.insertRedemption({ offer_id: offerId, order_id: orderId, user_id: userId, code: row.code!, created_at: clock.now() }, trx);
    },
  };
}

export type DealService = ReturnType<typeof createDealService>;
