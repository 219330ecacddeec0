import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Personal data at rest (DESIGN.md, "Storage and erasure"):
 * - each profile has its own data key, stored only wrapped by the region's key;
 * - personal fields are sealed (AES-256-GCM) with the profile's data key, bound to the profile
 *   by the additional authenticated data, so a sealed value cannot be moved to another profile;
 * - identifiers are found by a keyed blind index (HMAC-SHA256), never by their plain value.
 * Erasing a profile destroys its wrapped data key: every copy of its sealed values, in the event
 * log and in backups, becomes unreadable (crypto-shredding).
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export class KeyError extends Error {
  override name = 'KeyError';
}

/** Reads a 32-byte base64 key from the environment variable a keyRef names ("env:NAME"). */
export function keyFromRef(keyRef: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const name = keyRef.replace(/^env:/, '');
  const text = env[name];
  if (!text) throw new KeyError(`${name} is not set: give it a base64-encoded 32-byte key (npm start makes development keys)`);
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) throw new KeyError(`${name} is ${key.length} bytes; it must be 32 bytes, base64-encoded`);
  return key;
}

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

export function open(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new KeyError('sealed value is too short to be AES-GCM output');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new KeyError('sealed value failed authentication: wrong key or wrong profile');
  }
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The data key of `customerId`, wrapped by the region key (bound to the customer ID). */
export function wrapDataKey(regionKey: Buffer, dataKey: Buffer, customerId: string): Buffer {
  return seal(regionKey, dataKey, `data-key:${customerId}`);
}

export function unwrapDataKey(regionKey: Buffer, wrapped: Buffer, customerId: string): Buffer {
  return open(regionKey, wrapped, `data-key:${customerId}`);
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
