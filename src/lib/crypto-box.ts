import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for small secrets kept in the database (TOTP seeds), so a stolen database alone
 * does not reveal them. Keys rotate: the first key of the ring encrypts; every key of the ring
 * decrypts. Output "v2.<key id>.<iv>.<tag>.<data>" (base64url); the key id is a short hash of
 * the key, so decryption picks the right one. Older "v1" boxes carry no key id and are tried
 * with each key (GCM's tag tells a wrong key apart).
 */
export interface KeyRing {
  /** Encrypts and signs new things. */
  current: Buffer;
  /** Retired keys that still decrypt and verify what they made. */
  previous: readonly Buffer[];
}

export class UnknownKeyError extends Error {
  constructor() {
    super('no configured key decrypts this secret (was DATA_ENCRYPTION_KEY changed without keeping the old one in DATA_ENCRYPTION_KEY_PREVIOUS?)');
  }
}

export const keyId = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 8);
const allKeys = (ring: KeyRing) => [ring.current, ...ring.previous];

export function encryptSecret(ring: KeyRing, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', keyId(ring.current), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

function open(key: Buffer, iv: string, tag: string, data: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

export function decryptSecret(ring: KeyRing, boxed: string): string {
  const parts = boxed.split('.');
  if (parts[0] === 'v2' && parts.length === 5) {
    const key = allKeys(ring).find((k) => keyId(k) === parts[1]);
    if (!key) throw new UnknownKeyError();
    return open(key, parts[2]!, parts[3]!, parts[4]!);
  }
  if (parts[0] === 'v1' && parts.length === 4) {
    for (const key of allKeys(ring)) {
      try {
        return open(key, parts[1]!, parts[2]!, parts[3]!);
      } catch {
        // a wrong key fails the GCM tag; try the next
      }
    }
    throw new UnknownKeyError();
  }
  throw new Error('unknown secret format');
}
