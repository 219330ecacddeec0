import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { KeyringError, parseKeyring } from '../domain/signing-keys';

/**
 * Personal data at rest (DESIGN.md, "Storage and erasure"):
 * - each profile has its own data key, stored only wrapped by the region's key;
 * - personal fields are sealed (AES-256-GCM) with the profile's data key, bound to the profile
 *   by the additional authenticated data, so a sealed value cannot be moved to another profile;
 * - identifiers are found by a keyed blind index (HMAC-SHA256), never by their plain value.
 * Erasing a profile destroys its wrapped data key: every copy of its sealed values, in the event
 * log and in backups, becomes unreadable (crypto-shredding).
 *
 * A region key can be rotated: `MERIDIAN_REGION_KEY_<REGION>` holds a ring, "2:newkey,1:oldkey",
 * the first being current (a single bare key is key "1"). A wrapped data key names the region key
 * that wrapped it, so keys wrapped under "1" still unwrap after "2" becomes current; once no row
 * names "1" it can be retired from the ring (the ID is readable in SQL: substring(data_key_wrapped
 * from 3 for get_byte(data_key_wrapped, 1))). Values sealed with the region key directly carry no
 * ID: open() tries the ring's older keys after the current one.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export class KeyError extends Error {
  override name = 'KeyError';
}

/**
 * A region's key: the current key itself (a Buffer, so everything that seals with the region key
 * keeps doing so), with its ID and the ring of every key still accepted for unwrapping.
 */
export type RegionKey = Buffer & { readonly keyId: string; readonly keyring: ReadonlyMap<string, Buffer> };

/** The region key made of a ring's keys: the current one, carrying its ID and the whole ring. */
export function regionKeyFrom(keyId: string, keyring: ReadonlyMap<string, Buffer>): RegionKey {
  const current = keyring.get(keyId);
  if (!current) throw new KeyError(`region key "${keyId}" is not in its ring`);
  return Object.assign(Buffer.from(current), { keyId, keyring });
}

/** Reads a region key (ring) from the environment variable a keyRef names ("env:NAME"): "id:base64,…" or one bare base64 key. */
export function keyFromRef(keyRef: string, env: NodeJS.ProcessEnv = process.env): RegionKey {
  const name = keyRef.replace(/^env:/, '');
  const text = env[name];
  if (!text)
    throw new KeyError(`${name} is not set: give a base64-encoded 32-byte key (npm start makes development keys)`);
  try {
    const ring = parseKeyring(name, text, undefined, LEGACY_KEY_ID);
    return regionKeyFrom(ring.currentId, ring.keys);
  } catch (error) {
    if (error instanceof KeyringError) throw new KeyError(error.message);
    throw error;
  }
}

/** The ID of a region key given without one, and of every data key wrapped before keys had IDs. */
export const LEGACY_KEY_ID = '1';

// IVs come from a pool refilled in large blocks: one randomFillSync per 4,096 IVs, not per value.
const IV_POOL_IVS = 4096;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * IV_POOL_IVS);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

export function seal(key: Buffer, plain: Buffer | string, context: string): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(typeof plain === 'string' ? Buffer.from(plain) : plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/**
 * Opens a sealed value. With a region key, the older keys of its ring are tried after the current
 * one: values it sealed directly (a request's email, connector credentials) carry no key ID, and a
 * wrong key fails GCM authentication at once.
 */
export function open(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new KeyError('sealed value is too short to be AES-GCM output');
  const ring = (key as Partial<RegionKey>).keyring;
  const older = ring ? [...ring.entries()].filter(([id]) => id !== (key as RegionKey).keyId).map(([, k]) => k) : [];
  for (const candidate of [key, ...older]) {
    const opened = openWith(candidate, sealed, context);
    if (opened) return opened;
  }
  throw new KeyError('sealed value failed authentication: wrong key or wrong profile');
}

function openWith(key: Buffer, sealed: Buffer, context: string): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/**
 * Wrapped data keys name their region key: a format byte (1), the key ID's length and its ASCII,
 * then the sealed key. A value of exactly SEALED_DATA_KEY_BYTES has no prefix: it was wrapped
 * before keys had IDs, by key "1" (migration 0005 prefixes those rows; the reader accepts both).
 */
const WRAPPED_FORMAT = 1;
const SEALED_DATA_KEY_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;

/** The data key of `customerId`, wrapped by the region's current key (bound to the customer ID) and naming it. */
export function wrapDataKey(regionKey: RegionKey, dataKey: Buffer, customerId: string): Buffer {
  const id = Buffer.from(regionKey.keyId, 'ascii');
  return Buffer.concat([
    Buffer.from([WRAPPED_FORMAT, id.length]),
    id,
    seal(regionKey, dataKey, `data-key:${customerId}`),
  ]);
}

/** The ID of the region key that wrapped a data key. */
export function wrappingKeyId(wrapped: Buffer): string {
  if (wrapped.length === SEALED_DATA_KEY_BYTES) return LEGACY_KEY_ID;
  const length = wrapped[1] ?? 0;
  if (wrapped[0] !== WRAPPED_FORMAT || length === 0 || wrapped.length !== 2 + length + SEALED_DATA_KEY_BYTES) {
    throw new KeyError('wrapped data key is in no known format');
  }
  return wrapped.subarray(2, 2 + length).toString('ascii');
}

export function unwrapDataKey(regionKey: RegionKey, wrapped: Buffer, customerId: string): Buffer {
  const keyId = wrappingKeyId(wrapped);
  const key = regionKey.keyring.get(keyId);
  if (!key) {
    throw new KeyError(
      `this data key was wrapped by region key "${keyId}", which is no longer in the region's key ring: add it back to unwrap it`,
    );
  }
  const sealed = wrapped.length === SEALED_DATA_KEY_BYTES ? wrapped : wrapped.subarray(2 + keyId.length);
  const opened = openWith(key, sealed, `data-key:${customerId}`);
  if (!opened) throw new KeyError('wrapped data key failed authentication: wrong region key or wrong profile');
  return opened;
}

/** Keyed blind index of an identifier: equal (type, value) pairs give equal tokens in every region. */
export function blindIndex(hmacKey: Buffer, type: string, value: string): Buffer {
  return createHmac('sha256', hmacKey).update(type).update('\u0000').update(value).digest();
}

export function sealJson(dataKey: Buffer, value: unknown, context: string): Buffer {
  return seal(dataKey, JSON.stringify(value), context);
}

export function openJson<T = unknown>(dataKey: Buffer, sealed: Buffer, context: string): T {
  return JSON.parse(open(dataKey, sealed, context).toString('utf8')) as T;
}
