import type { Db } from '../db/knex.js';

/**
 * Customers as the admin works them: list and search, a customer's orders, sign-ins and
 * downloads; sign out everywhere, disable and enable, make and remove admins.
 * (Skeleton: filled in by the customers module of issue 11.)
 */
export function createCustomerAdminService(_deps: { db: Db }) {
  return {};
}

export type CustomerAdminService = ReturnType<typeof createCustomerAdminService>;
