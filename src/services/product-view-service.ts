import type { Clock } from '../lib/clock.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import type { ProductViewModel } from '../models/product-views.js';

/**
 * Product views for the analytics funnel (view → add to cart → checkout started → paid) and for
 * recommendations. Product pages come from the shared page cache, so the page's script reports
 * the view (POST /api/products/:id/views) rather than the controller that renders it.
 */

/** The same viewer seeing the same product again within this long is not a new view. */
export const REPEAT_VIEW_MS = 30 * 60_000;

/**
 * Common crawler tokens (Googlebot, bingbot, AhrefsBot, Baiduspider, Yahoo! Slurp, …). Only
 * crawler words: "HeadlessChrome" (our Playwright e2e runs, and real headless users) is NOT a
 * bot here, or the funnels those runs build would start empty.
 */
const BOT_UA = /bot\b|crawl|spider|slurp|facebookexternalhit|mediapartners-google|bingpreview/i;

export const looksLikeBot = (userAgent: string | undefined) => Boolean(userAgent && BOT_UA.test(userAgent));

export interface ViewInput {
  productId: number;
  /** The signed-in viewer, if any (from the session cookie the beacon carries). */
  userId?: number;
  /** The browser's anonymous id; required for a guest, kept alongside a user's id when sent. */
  anonymousId?: string;
  userAgent?: string;
}

/** `recorded`: a row was added; `repeat`: seen within REPEAT_VIEW_MS; `bot`: not counted. */
export type ViewOutcome = 'recorded' | 'repeat' | 'bot';

export function createProductViewService(deps: { productViews: ProductViewModel; clock: Clock }) {
  const { productViews, clock } = deps;
  return {
    /** Records one view unless it is a bot's or a repeat; an unknown or hidden product is a 404 and stores nothing. */
    async record(input: ViewInput): Promise<ViewOutcome> {
      if (looksLikeBot(input.userAgent)) return 'bot';
      if (input.userId === undefined && input.anonymousId === undefined) {
        throw new ValidationError('Some fields are not valid.', { anonymousId: 'anonymousId is required when not signed in.' });
      }
      const at = clock.now();
      const { found, inserted } = await productViews.recordUnlessRepeat({
        productId: input.productId,
        userId: input.userId ?? null,
        anonymousId: input.anonymousId ?? null,
        at,
        repeatSince: new Date(at.getTime() - REPEAT_VIEW_MS),
      });
      if (!found) throw new NotFoundError('We could not find that product.');
      return inserted ? 'recorded' : 'repeat';
    },
  };
}

export type ProductViewService = ReturnType<typeof createProductViewService>;
