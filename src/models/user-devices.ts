import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

/** A device a user has signed in from: one per (device type, browser family, OS family). */
export interface UserDeviceRow {
  id: number;
  user_id: number;
  device_key: string;
  browser: string | null;
  os: string | null;
  device_type: string;
  first_seen_at: Date;
  last_seen_at: Date;
  sign_in_count: number;
}

export interface DeviceTriple {
  deviceType: string;
  browserFamily: string | null;
  osFamily: string | null;
}

type Handle = Knex | Knex.Transaction;

/**
 * The device's key: 16 hex characters of SHA-256 over "type|browser|os", lower-cased. Not the IP
 * and not the full user agent, so a new network or a browser update is not a new device. The
 * migration's backfill computes the same expression in SQL.
 */
export function deviceKey(d: DeviceTriple): string {
  return createHash('sha256')
    .update(`${d.deviceType}|${d.browserFamily ?? ''}|${d.osFamily ?? ''}`.toLowerCase(), 'utf8')
    .digest('hex')
    .slice(0, 16);
}

export function createUserDeviceModel(db: Db) {
  return {
    /**
     * Counts a sign-in from this device: inserts the row (first sign-in from it) or bumps its
     * last_seen_at and count. One atomic statement, so concurrent sign-ins cannot both insert.
     * `inserted` is true when the row is new (xmax = 0: no earlier row version was updated).
     */
    async touch(userId: number, d: DeviceTriple, at: Date, trx: Handle = db): Promise<{ row: UserDeviceRow; inserted: boolean }> {
      const res = await trx.raw(
        `INSERT INTO user_devices (user_id, device_key, browser, os, device_type, first_seen_at, last_seen_at, sign_in_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (user_id, device_key) DO UPDATE
           SET last_seen_at = GREATEST(user_devices.last_seen_at, EXCLUDED.last_seen_at),
               sign_in_count = user_devices.sign_in_count + 1
         RETURNING *, (xmax = 0) AS inserted`,
        [userId, deviceKey(d), d.browserFamily, d.osFamily, d.deviceType.slice(0, 16), at, at],
      );
      const { inserted, ...row } = (res.rows as (UserDeviceRow & { inserted: boolean })[])[0]!;
      return { row, inserted };
    },

    /** The user's devices, most recently used first (a user has a handful; capped anyway). */
    async forUser(userId: number, limit = 20, trx: Handle = db): Promise<UserDeviceRow[]> {
      return (await trx('user_devices')
        .where({ user_id: userId })
        .orderBy([
          { column: 'last_seen_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit)) as UserDeviceRow[];
    },
  };
}

export type UserDeviceModel = ReturnType<typeof createUserDeviceModel>;
