import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { AdminEntitlementRow } from './order-admin.js';
import type { OrderStatus } from './orders.js';
import type { Role, UserRow } from './users.js';

type Handle = Knex | Knex.Transaction;

/** A user row with the column the admin migration added. */
export type CustomerRow = UserRow & { disabled_at: Date | null };

export interface CustomerListRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  email_verified_at: Date | null;
  totp_enabled_at: Date | null;
  email_otp_enabled_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
}

export interface CustomerOrderRow {
  id: number;
  status: OrderStatus;
  currency: string;
  total_paise: number;
  refunded_paise: number;
  attention_at: Date | null;
  created_at: Date;
  paid_at: Date | null;
}

export interface CustomerSignInRow {
  id: number;
  ip: string;
  browser: string | null;
  os: string | null;
  device_type: string;
  method: string;
  created_at: Date;
  /** Stored at sign-in: the first from this device type, browser family and OS family (login-devices). */
  new_device: boolean;
}

export interface CustomerFailureRow {
  id: number;
  ip: string;
  reason: string;
  created_at: Date;
}

/** A purchase on a customer's page: an order's entitlement row with the order it came from. */
export type CustomerEntitlementRow = AdminEntitlementRow & { order_id: number };

const likePrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The admin's queries over accounts. Newest first is id order (ids are handed out in creation
 * order), so the list walks the primary key backwards and stops at the page.
 */
export function createCustomerAdminQueries(db: Db) {
  function matching(trx: Handle, q?: string) {
    const rows = trx('users');
    if (q) {
      // Any case. Written as lower(…) LIKE so that (lower(…) text_pattern_ops) indexes serve it where they exist.
      rows.where((w) => w.whereRaw("lower(email::text) LIKE ? ESCAPE '\\'", [likePrefix(q)]).orWhereRaw("lower(name) LIKE ? ESCAPE '\\'", [likePrefix(q)]));
    }
    return rows;
  }

  return {
    async list(q: string | undefined, limit: number, offset: number, trx: Handle = db): Promise<CustomerListRow[]> {
      return (await matching(trx, q)
        .select('id', 'email', 'name', 'role', 'email_verified_at', 'totp_enabled_at', 'email_otp_enabled_at', 'disabled_at', 'created_at')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)) as CustomerListRow[];
    },

    async count(q: string | undefined, cap: number, trx: Handle = db): Promise<number> {
      const res = await trx.raw('SELECT count(*)::int AS n FROM (?) AS capped', [matching(trx, q).select(trx.raw('1')).limit(cap)]);
      return (res.rows as { n: number }[])[0]!.n;
    },

    /** Orders per user for one page of users: paid (or refunded) ones, and all of them. */
    async orderCounts(userIds: number[], trx: Handle = db): Promise<Map<number, { paid: number; all: number }>> {
      if (!userIds.length) return new Map();
      const rows = (await trx('orders')
        .whereIn('user_id', userIds)
        .groupBy('user_id')
        .select('user_id', trx.raw("count(*) FILTER (WHERE status IN ('paid', 'refunded'))::int AS paid"), trx.raw('count(*)::int AS all'))) as { user_id: number; paid: number; all: number }[];
      return new Map(rows.map((r) => [r.user_id, { paid: r.paid, all: r.all }]));
    },

    async findById(id: number, trx: Handle = db): Promise<CustomerRow | undefined> {
      return (await trx('users').where({ id }).first()) as CustomerRow | undefined;
    },

    async lock(id: number, trx: Knex.Transaction): Promise<CustomerRow | undefined> {
      return (await trx('users').where({ id }).forUpdate().first()) as CustomerRow | undefined;
    },

    /**
     * Locks every enabled admin's row, in id order (so two callers cannot deadlock), and returns
     * their ids. A second caller waits for the first to commit and then sees its change: two
     * concurrent demotions can never both find "another admin" left.
     */
    async lockActiveAdmins(trx: Knex.Transaction): Promise<number[]> {
      return (await trx('users').where({ role: 'admin' }).whereNull('disabled_at').orderBy('id').forUpdate().pluck('id')) as number[];
    },

    async update(id: number, changes: Partial<Pick<CustomerRow, 'role' | 'disabled_at'>>, trx: Knex.Transaction): Promise<CustomerRow> {
      const [row] = await trx('users').where({ id }).update({ ...changes, updated_at: trx.fn.now() }).returning('*');
      return row as CustomerRow;
    },

    async orders(userId: number, limit = 100, trx: Handle = db): Promise<CustomerOrderRow[]> {
      return (await trx('orders')
        .where({ user_id: userId })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
        .select('id', 'status', 'currency', 'total_paise', 'refunded_paise', 'attention_at', 'created_at', 'paid_at')) as CustomerOrderRow[];
    },

    async signIns(userId: number, limit = 20, trx: Handle = db): Promise<CustomerSignInRow[]> {
      const res = await trx.raw(
        `SELECT e.id, e.ip, e.browser, e.os, e.device_type, e.method, e.created_at, e.new_device
         FROM login_events e
         WHERE e.user_id = ?
         ORDER BY e.created_at DESC, e.id DESC
         LIMIT ?`,
        [userId, limit],
      );
      return res.rows as CustomerSignInRow[];
    },

    async failedSignIns(userId: number, limit = 20, trx: Handle = db): Promise<CustomerFailureRow[]> {
      return (await trx('login_failures')
        .where({ user_id: userId })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)
        .select('id', 'ip', 'reason', 'created_at')) as CustomerFailureRow[];
    },

    async entitlements(userId: number, limit = 100, trx: Handle = db): Promise<CustomerEntitlementRow[]> {
      return (await trx('entitlements as e')
        .join('products as p', 'p.id', 'e.product_id')
        .where('e.user_id', userId)
        .orderBy('e.id', 'desc')
        .limit(limit)
        .select('e.id', 'e.order_id', 'e.product_id', 'p.title', 'e.max_downloads', 'e.download_count', 'e.revoked_at', 'e.created_at')) as CustomerEntitlementRow[];
    },

    async sessionCount(userId: number, trx: Handle = db): Promise<number> {
      const row = (await trx('session').where({ user_id: userId }).count({ n: '*' }).first()) as { n: number | string } | undefined;
      return Number(row?.n ?? 0);
    },
  };
}

export type CustomerAdminQueries = ReturnType<typeof createCustomerAdminQueries>;
