import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { parsePayloadKeys } from '../../domain/config';
import { AesGcmPayloadCodec, KEY_ID_METADATA, PlaintextPayloadError } from '../../temporal/payload-codec';

const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('AES-256-GCM payload codec', () => {
  const k1 = keyText('k1');
  const k2 = keyText('k2');
  const payload = defaultPayloadConverter.toPayload({ customerId: 'cus_123', note: 'Zoë Müller 山田' });

  it('encrypts, names the key, and decrypts back to the same payload', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(k1, 'k1'));
    const [encoded] = await codec.encode([payload]);
    expect(Buffer.from(encoded!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('cus_123');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ customerId: 'cus_123', note: 'Zoë Müller 山田' });
  });

  it('decrypts payloads from a rotated-out key while encrypting with the new one', async () => {
    const [old] = await new AesGcmPayloadCodec(parsePayloadKeys(k1, 'k1')).encode([payload]);
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`${k2},${k1}`, 'k2'));
    const [fresh] = await rotated.encode([payload]);
    expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual(
      defaultPayloadConverter.fromPayload(payload),
    );
  });

  it('refuses a payload that was altered or whose key is gone', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(k1, 'k1'));
    const [encoded] = await codec.encode([payload]);
    // Flip every bit of one byte: setting it to a fixed value would leave it unchanged 1 time in 256.
    const altered = Buffer.from(encoded!.data!);
    altered[20] = altered[20]! ^ 0xff;
    const tampered = { ...encoded!, data: altered };
    await expect(codec.decode([tampered])).rejects.toThrow(/failed authentication/);
    await expect(new AesGcmPayloadCodec(parsePayloadKeys(k2, 'k2')).decode([encoded!])).rejects.toThrow(
      /encrypted with key "k1", which is not in MERIDIAN_PAYLOAD_KEYS/,
    );
  });

  it('refuses a payload that was never encrypted, without quoting it (injected plaintext is not acted on or echoed)', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(k1, 'k1'));
    const [encoded] = await codec.encode([payload]);
    const attempt = codec.decode([encoded!, payload]);
    await expect(attempt).rejects.toThrow(PlaintextPayloadError);
    await expect(attempt).rejects.toThrow(
      /payload 1 is not encrypted with a Meridian payload key \(its encoding is "json\/plain"/,
    );
    await expect(attempt).rejects.not.toThrow(/cus_123|Zoë/);
    // Metadata with no encoding at all, or an odd one, is refused the same way and not quoted.
    await expect(codec.decode([{ metadata: {}, data: payload.data! }])).rejects.toThrow(/its encoding is none/);
    const odd = { metadata: { encoding: new TextEncoder().encode('<script>alert(1)</script>') }, data: payload.data! };
    await expect(codec.decode([odd])).rejects.toThrow(/its encoding is an unknown one/);
  });
});
