import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { sameSecret } from './constant-time';

/**
 * Keys kept as a versioned ring ("id:base64key,id2:base64key"): the current one signs or wraps
 * what is new; the others still check or unwrap what they made, until they are retired (removed
 * from the ring). Used for the signing keys below and for each region's key (db/crypto-shredding).
 *
 * The signing keys: one master secret per version (`MERIDIAN_SIGNING_KEYS`), from which a key per
 * purpose is derived with HKDF-SHA256, so a status link's key cannot sign a CSRF token or a
 * preference link, and every signature names the version that made it (`<keyId>.<mac>`). The
 * identifier blind index keeps its own key (`MERIDIAN_IDENTITY_HMAC_KEY`), unchanged: One ID
 * across regions depends on its values never changing.
 */

/** What a derived key is for. A new purpose is a new name here, never a reuse of another's key. */
export const KEY_PURPOSES = [
  'privacy-csrf',
  'privacy-status-link',
  'privacy-export-link',
  'privacy-preference-link',
  'privacy-verification-code',
  'rate-limit-key',
  'list-unsubscribe-link',
] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** Key IDs appear in tokens (before a ".") and in wrapped data keys, so they are short and plain. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;

export interface Keyring {
  /** The key that signs (or wraps) anything new. */
  currentId: string;
  /** Every key still accepted, by ID. */
  keys: ReadonlyMap<string, Buffer>;
}

export class KeyringError extends Error {
  override name = 'KeyringError';
}

/**
 * Parses a ring: `id:base64key[,id2:base64key…]` of 32-byte keys; the current key is `currentId`
 * or else the first. With `bareKeyId`, a single bare base64 key is accepted as that ID (how region
 * keys were given before they had IDs).
 */
export function parseKeyring(
  variable: string,
  text: string | undefined,
  currentId?: string,
  bareKeyId?: string,
): Keyring {
  const make = "make a key with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"";
  if (!text?.trim())
    throw new KeyringError(`${variable} is not set: give "keyId:base64Key" pairs of 32-byte keys (${make})`);
  const keys = new Map<string, Buffer>();
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const at = entry.indexOf(':');
    if (at < 0 && bareKeyId && entries.length === 1) {
      keys.set(bareKeyId, keyBytes(variable, bareKeyId, entry));
      continue;
    }
    const id = entry.slice(0, Math.max(at, 0));
    if (at <= 0 || !KEY_ID.test(id))
      throw new KeyringError(`${variable}: each entry is "keyId:base64Key", the key ID 1–32 letters, digits, _ or -`);
    if (keys.has(id)) throw new KeyringError(`${variable}: key ID "${id}" is given twice; give each key its own ID`);
    keys.set(id, keyBytes(variable, id, entry.slice(at + 1)));
  }
  const current = currentId || [...keys.keys()][0]!;
  if (!keys.has(current))
    throw new KeyringError(
      `${variable}: the current key "${current}" is not one of its keys (${[...keys.keys()].join(', ')})`,
    );
  return { currentId: current, keys };
}

function keyBytes(variable: string, id: string, base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== KEY_BYTES)
    throw new KeyringError(`${variable}: key "${id}" is ${key.length} bytes; it must be 32 bytes, base64-encoded`);
  return key;
}

/** HKDF-SHA256 salt: fixed, so the same master always derives the same keys. */
const SALT = Buffer.from('meridian signing keys');

/** The per-purpose keys derived from a ring of master secrets, and the signatures made with them. */
export class SigningKeys {
  private readonly derived = new Map<string, Buffer>();

  constructor(private readonly ring: Keyring) {}

  get currentId(): string {
    return this.ring.currentId;
  }

  /** The key for `purpose` under master `keyId` (the current one by default); undefined for a retired or unknown ID. */
  key(purpose: KeyPurpose, keyId = this.ring.currentId): Buffer | undefined {
    const cacheKey = `${keyId}\u0000${purpose}`;
    let key = this.derived.get(cacheKey);
    if (!key) {
      const master = this.ring.keys.get(keyId);
      if (!master) return undefined;
      key = Buffer.from(hkdfSync('sha256', master, SALT, `meridian/${purpose}`, KEY_BYTES));
      this.derived.set(cacheKey, key);
    }
    return key;
  }

  /** HMAC-SHA256 of `message` with the current key for `purpose`. */
  mac(purpose: KeyPurpose, message: string, keyId = this.ring.currentId): Buffer {
    const key = this.key(purpose, keyId);
    if (!key) throw new KeyringError(`no signing key "${keyId}"`);
    return createHmac('sha256', key).update(message).digest();
  }

  /** The HMAC under every key still accepted, current first: to compare with a keyed hash stored earlier. */
  macs(purpose: KeyPurpose, message: string): Buffer[] {
    const ids = [this.ring.currentId, ...[...this.ring.keys.keys()].filter((id) => id !== this.ring.currentId)];
    return ids.map((id) => this.mac(purpose, message, id));
  }

  /** `<keyId>.<base64url HMAC>`: the signature names the key version that made it. */
  sign(purpose: KeyPurpose, message: string): string {
    return `${this.ring.currentId}.${this.mac(purpose, message).toString('base64url')}`;
  }

  /** True when `signature` is sign(purpose, message) under any key still in the ring. */
  verify(purpose: KeyPurpose, message: string, signature: unknown): boolean {
    if (typeof signature !== 'string') return false;
    const dot = signature.indexOf('.');
    const keyId = signature.slice(0, dot);
    if (dot <= 0 || !this.ring.keys.has(keyId)) return false;
    return sameSecret(signature.slice(dot + 1), this.mac(purpose, message, keyId).toString('base64url'));
  }
}

/** Equal-length, constant-time comparison of a keyed hash with any of `candidates`. */
export function matchesAny(stored: Buffer, candidates: readonly Buffer[]): boolean {
  let found = false;
  for (const candidate of candidates)
    if (candidate.length === stored.length && timingSafeEqual(candidate, stored)) found = true;
  return found;
}
