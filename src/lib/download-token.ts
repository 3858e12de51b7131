import { createHmac, hkdfSync } from 'node:crypto';
import type { KeyRing } from './crypto-box.js';
import { safeEqual } from './tokens.js';

/**
 * Download links: `<payload>.<signature>`, the payload naming the entitlement, its buyer and an
 * expiry, signed with a key derived from DATA_ENCRYPTION_KEY (never the session secret, so
 * rotating that leaves links working). New links use the current key; links signed with a
 * previous key still verify until they expire. The database still decides whether the
 * entitlement is alive and under its download limit.
 */
export interface DownloadClaim {
  entitlementId: number;
  userId: number;
  /** Unix seconds. */
  expiresAt: number;
}

export interface DownloadKeys {
  sign: Buffer;
  verify: readonly Buffer[];
}

const derive = (dataKey: Buffer) => Buffer.from(hkdfSync('sha256', dataKey, 'store', 'download-links', 32));

export function downloadKeys(ring: KeyRing): DownloadKeys {
  const sign = derive(ring.current);
  return { sign, verify: [sign, ...ring.previous.map(derive)] };
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function signDownload(keys: DownloadKeys, claim: DownloadClaim): string {
  const payload = Buffer.from(`${claim.entitlementId}.${claim.userId}.${claim.expiresAt}`).toString('base64url');
  return `${payload}.${mac(keys.sign, payload)}`;
}

/** The claim if the signature is ours (expiry is checked by the caller, to tell "expired" apart). */
export function readDownload(keys: DownloadKeys, token: string): DownloadClaim | undefined {
  if (token.length > 300) return undefined;
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return undefined;
  if (!keys.verify.some((key) => safeEqual(mac(key, payload), sig))) return undefined;
  const parts = Buffer.from(payload, 'base64url').toString('utf8').split('.').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isSafeInteger(n) || n <= 0)) return undefined;
  const [entitlementId, userId, expiresAt] = parts as [number, number, number];
  return { entitlementId, userId, expiresAt };
}
