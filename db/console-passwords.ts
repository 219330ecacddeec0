import argon2 from 'argon2';

/**
 * Console passwords: argon2id (npm `argon2`, the reference implementation's binding) with the
 * OWASP-recommended memory cost. Verification runs the full hash even for an unknown email (against
 * a fixed dummy hash), so the time taken does not tell whether an account exists.
 */

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/** True when `password` matches `hash`; with no hash (unknown user, OIDC-only user), spends the same time and answers false. */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  if (!hash) {
    dummyHash ??= argon2.hash('meridian-no-such-user', OPTIONS);
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
