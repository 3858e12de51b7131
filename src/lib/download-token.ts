import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from './tokens.js';

/**
 * Download links: `<payload>.<signature>`, the payload naming the entitlement, its buyer and an
 * expiry, signed with a key only the server has. Nobody can mint or alter one; the database
 * still decides whether the entitlement is alive and under its download limit.
 */
export interface DownloadClaim {
  entitlementId: number;
  userId: number;
  /** Unix seconds. */
  expiresAt: number;
}

export function downloadKey(dataKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, 'store', 'download-links', 32));
}

export function signDownload(key: Buffer, claim: DownloadClaim): string {
  const payload = Buffer.from(`${claim.entitlementId}.${claim.userId}.${claim.expiresAt}`).toString('base64url');
  const sig = createHmac('sha256', key).update(payload).digest('base64url');
  return `${payload}.${sig}`;
}

/** The claim if the signature is ours (expiry is checked by the caller, to tell "expired" apart). */
export function readDownload(key: Buffer, token: string): DownloadClaim | undefined {
  if (token.length > 300) return undefined;
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return undefined;
  if (!safeEqual(createHmac('sha256', key).update(payload).digest('base64url'), sig)) return undefined;
  const parts = Buffer.from(payload, 'base64url').toString('utf8').split('.').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isSafeInteger(n) || n <= 0)) return undefined;
  const [entitlementId, userId, expiresAt] = parts as [number, number, number];
  return { entitlementId, userId, expiresAt };
}
