import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';
import type { Clock } from '../lib/clock.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors.js';
import { createCustomerAdminQueries, type CustomerRow } from '../models/customer-admin.js';
import type { SessionModel } from '../models/sessions.js';
import { createUserDeviceModel } from '../models/user-devices.js';
import type { Actor, AuditService } from './audit-service.js';

/** Lists stop counting here ("10,000+"). */
export const CUSTOMER_COUNT_CAP = 10_000;

export const CUSTOMER_ACTIONS = ['sign-out', 'disable', 'enable', 'make-admin', 'remove-admin'] as const;
export type CustomerAction = (typeof CUSTOMER_ACTIONS)[number];

/** The facts of an account an admin may see (never its password hash or second-factor secrets). */
function profileOf(u: CustomerRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    emailVerifiedAt: u.email_verified_at,
    totpEnabledAt: u.totp_enabled_at,
    emailOtpEnabledAt: u.email_otp_enabled_at,
    twoFactor: u.totp_enabled_at !== null || u.email_otp_enabled_at !== null,
    passwordChangedAt: u.password_changed_at,
    disabledAt: u.disabled_at,
    createdAt: u.created_at,
  };
}
export type CustomerProfile = ReturnType<typeof profileOf>;

/**
 * Customers as the admin works them: list and search, a customer's orders, sign-ins and
 * downloads; sign out everywhere, disable and enable, make and remove admins. Each change is
 * audited in its transaction. The store always keeps one enabled admin, and an admin cannot
 * disable or demote themself (another admin must).
 */
export function createCustomerAdminService(deps: { db: Db; sessions: SessionModel; audit: AuditService; clock: Clock }) {
  const { db, audit, clock } = deps;
  const q = createCustomerAdminQueries(db);
  const devices = createUserDeviceModel(db);

  const notFound = () => new NotFoundError('There is no customer with that number.');

  async function locked(id: number, trx: Knex.Transaction): Promise<CustomerRow> {
    const u = await q.lock(id, trx);
    if (!u) throw notFound();
    return u;
  }

  /** Refuses a change that would leave the store with no enabled admin. Locks the admins first. */
  async function keepAnAdmin(targetId: number, trx: Knex.Transaction, what: string) {
    const admins = await q.lockActiveAdmins(trx);
    if (admins.includes(targetId) && admins.length <= 1) throw new ConflictError(`This is the store's only enabled admin, so you cannot ${what}. Make someone else an admin first.`, 'LAST_ADMIN');
  }

  const notYourself = (actor: Actor, id: number, what: string) => {
    if (actor.id === id) throw new ForbiddenError(`You cannot ${what} your own account. Ask another admin.`, 'NOT_YOURSELF');
  };

  return {
    async list(f: { q?: string; page: number; pageSize: number }) {
      const [rows, counted] = await Promise.all([q.list(f.q, f.pageSize, (f.page - 1) * f.pageSize), q.count(f.q, CUSTOMER_COUNT_CAP + 1)]);
      const orders = await q.orderCounts(rows.map((r) => r.id));
      const total = Math.min(counted, CUSTOMER_COUNT_CAP);
      return {
        rows: rows.map((r) => ({ ...r, twoFactor: r.totp_enabled_at !== null || r.email_otp_enabled_at !== null, paidOrders: orders.get(r.id)?.paid ?? 0, allOrders: orders.get(r.id)?.all ?? 0 })),
        total,
        totalCapped: counted > CUSTOMER_COUNT_CAP,
        page: f.page,
        pageCount: Math.max(1, Math.ceil(total / f.pageSize)),
      };
    },

    async get(id: number) {
      const user = await q.findById(id);
      if (!user) throw notFound();
      const [orders, signIns, failures, entitlements, sessions, history, knownDevices] = await Promise.all([
        q.orders(id),
        q.signIns(id),
        q.failedSignIns(id),
        q.entitlements(id),
        q.sessionCount(id),
        audit.forEntity('user', id),
        devices.forUser(id),
      ]);
      return { profile: profileOf(user), orders, signIns, failures, entitlements, sessions, history, devices: knownDevices };
    },

    /** Ends every session of the account (each device must sign in again). Returns how many. */
    async signOutEverywhere(id: number, actor: Actor): Promise<number> {
      notYourself(actor, id, 'sign out everywhere from here');
      return db.transaction(async (trx) => {
        const u = await locked(id, trx);
        const n = await deps.sessions.deleteForUser(u.id, undefined, trx);
        await audit.record(trx, actor, { action: 'user.sign-out-everywhere', entity: 'user', id: u.id, summary: `Signed ${u.email} out everywhere (${n} ${n === 1 ? 'session' : 'sessions'} ended)`, after: { sessions_ended: n } });
        return n;
      });
    },

    /** Disables the account and ends its sessions in the same transaction; it cannot sign in until enabled. */
    async disable(id: number, actor: Actor): Promise<{ profile: CustomerProfile; sessionsEnded: number }> {
      notYourself(actor, id, 'disable');
      return db.transaction(async (trx) => {
        await keepAnAdmin(id, trx, 'disable it');
        const before = await locked(id, trx);
        if (before.disabled_at) return { profile: profileOf(before), sessionsEnded: 0 };
        const after = await q.update(id, { disabled_at: clock.now() }, trx);
        const n = await deps.sessions.deleteForUser(id, undefined, trx);
        await audit.record(trx, actor, { action: 'user.disable', entity: 'user', id, summary: `Disabled ${before.email} and ended ${n} ${n === 1 ? 'session' : 'sessions'}`, before: { disabled_at: null }, after: { disabled_at: after.disabled_at, sessions_ended: n } });
        return { profile: profileOf(after), sessionsEnded: n };
      });
    },

    async enable(id: number, actor: Actor): Promise<CustomerProfile> {
      return db.transaction(async (trx) => {
        const before = await locked(id, trx);
        if (!before.disabled_at) return profileOf(before);
        const after = await q.update(id, { disabled_at: null }, trx);
        await audit.record(trx, actor, { action: 'user.enable', entity: 'user', id, summary: `Enabled ${before.email} again`, before: { disabled_at: before.disabled_at }, after: { disabled_at: null } });
        return profileOf(after);
      });
    },

    async makeAdmin(id: number, actor: Actor): Promise<CustomerProfile> {
      return db.transaction(async (trx) => {
        const before = await locked(id, trx);
        if (before.role === 'admin') return profileOf(before);
        const after = await q.update(id, { role: 'admin' }, trx);
        await audit.record(trx, actor, { action: 'user.make-admin', entity: 'user', id, summary: `Made ${before.email} an admin`, before: { role: before.role }, after: { role: 'admin' } });
        return profileOf(after);
      });
    },

    async removeAdmin(id: number, actor: Actor): Promise<CustomerProfile> {
      notYourself(actor, id, 'remove admin from');
      return db.transaction(async (trx) => {
        await keepAnAdmin(id, trx, 'remove its admin role');
        const before = await locked(id, trx);
        if (before.role !== 'admin') return profileOf(before);
        const after = await q.update(id, { role: 'user' }, trx);
        await audit.record(trx, actor, { action: 'user.remove-admin', entity: 'user', id, summary: `Removed admin from ${before.email}`, before: { role: 'admin' }, after: { role: 'user' } });
        return profileOf(after);
      });
    },
  };
}

export type CustomerAdminService = ReturnType<typeof createCustomerAdminService>;
