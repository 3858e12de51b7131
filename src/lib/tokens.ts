import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Secrets for links (verification, reset): 32 random bytes, URL-safe. Stored only as a hash. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex. Fine for high-entropy tokens; low-entropy codes use codeHash (keyed). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * A 6-digit code is only a million values, so a plain hash of it in a leaked database is
 * reversible; a keyed HMAC is not without the key.
 */
export function codeHash(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(code).digest('hex');
}

export function sixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Equal-time comparison of two strings (false for different lengths, without throwing). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
