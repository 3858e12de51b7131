import type { Db } from '../db/knex.js';

/**
 * Orders as the admin works them: list and search, an order's whole story, refunds through
 * Razorpay, resending the confirmation, resetting a buyer's download count.
 * (Skeleton: filled in by the orders module of issue 11.)
 */
export function createOrderAdminService(_deps: { db: Db }) {
  return {};
}

export type OrderAdminService = ReturnType<typeof createOrderAdminService>;
