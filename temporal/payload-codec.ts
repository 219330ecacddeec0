import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, Payload, PayloadCodec, ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKeys } from '../domain/config';

/**
 * AES-256-GCM payload codec: every payload a Meridian client or worker sends to Temporal is
 * encrypted, so the server (and its database, and its backups) hold only ciphertext. The key
 * ID travels in the metadata, so keys can be rotated: new payloads use the current key, old
 * ones decrypt with the key they name. Second line of defence behind rule 2.
 *
 * Decoding refuses a payload that is not Meridian ciphertext: the SDK sends every payload it
 * makes through encode (search attributes and headers never go through the codec, in either
 * direction), so plaintext here was written by something without the payload key — a tool run
 * without the codec, or someone with access to Temporal alone. Workers do not act on it, and the
 * codec endpoint does not echo it back.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keys.currentKeyId;
    const key = this.keys.keys.get(keyId)!;
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: encoder.encode(keyId),
      },
      data: encrypt(temporal.api.common.v1.Payload.encode(payload).finish(), key),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload, index) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING)
        throw new PlaintextPayloadError(index, encoding);
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      if (!keyIdBytes) throw new ValueError('encrypted payload has no encryption-key-id in its metadata');
      const keyId = decoder.decode(keyIdBytes);
      const key = this.keys.keys.get(keyId);
      if (!key) {
        throw new ValueError(
          `payload was encrypted with key "${keyId}", which is not in MERIDIAN_PAYLOAD_KEYS: add it back to decrypt`,
        );
      }
      if (!payload.data) throw new ValueError('encrypted payload has no data');
      const decoded = temporal.api.common.v1.Payload.decode(decrypt(payload.data, key));
      return { metadata: decoded.metadata ?? {}, data: decoded.data ?? undefined } as Payload;
    });
  }
}

/** A payload without Meridian's encryption: refused rather than passed on. */
export class PlaintextPayloadError extends ValueError {
  constructor(
    readonly index: number,
    encoding: Uint8Array | undefined | null,
  ) {
    const name = encoding ? decoder.decode(encoding) : '';
    // The encoding is metadata, not content; still, only a short, plain name is quoted.
    const shown = /^[\w./-]{1,40}$/.test(name) ? `"${name}"` : name ? 'an unknown one' : 'none';
    super(
      `payload ${index} is not encrypted with a Meridian payload key (its encoding is ${shown}, not "${ENCRYPTED_ENCODING}"): ` +
        'refused. It was written without the codec (e.g. `temporal workflow start --input` without --codec-endpoint); ' +
        'send it through the codec (the Temporal UI does, or the CLI with --codec-endpoint)',
    );
  }
}

function encrypt(plain: Uint8Array, key: Buffer): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function decrypt(sealed: Uint8Array, key: Buffer): Uint8Array {
  const buf = Buffer.from(sealed);
  if (buf.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload is too short to be AES-GCM output');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV_BYTES));
  decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ValueError('encrypted payload failed authentication: wrong key, or the payload was altered');
  }
}
