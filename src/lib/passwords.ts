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

/**
 * Passwords people pick most often (the top 10,000 of the ranked list that zxcvbn-ts ships, a
 * superset of the usual "1,000 most common"). Compared case-insensitively.
 */
let common: Set<string> | undefined;
async function commonPasswords(): Promise<Set<string>> {
  if (!common) {
    const { dictionary } = await import('@zxcvbn-ts/language-common');
    common = new Set(dictionary['passwords-common'].slice(0, 10_000).map((p) => p.toLowerCase()));
  }
  return common;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/**
 * NIST 800-63B rules: 8 to 128 characters counted as code points (an emoji is one), no
 * composition rules, no truncation, and not a commonly used password. Returns a message or null.
 */
export async function passwordProblem(password: string): Promise<string | null> {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if ((await commonPasswords()).has(password.toLowerCase())) return 'This password is too common. Choose one that is harder to guess.';
  return null;
}
