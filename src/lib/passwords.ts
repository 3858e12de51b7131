import argon2 from 'argon2';

/**
 * Argon2id with OWASP's minimum (m = 19 MiB, t = 2, p = 1). The parameters are stored in the hash,
 * so raising them later re-hashes users gradually on login (see needsRehash).
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, OPTIONS);
}
