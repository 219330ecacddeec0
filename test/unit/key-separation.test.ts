import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blindIndex,
  KeyError,
  keyFromRef,
  LEGACY_KEY_ID,
  open,
  seal,
  unwrapDataKey,
  wrapDataKey,
  wrappingKeyId,
} from '../../db/crypto-shredding';
import { emailBlindIndex } from '../../db/privacy-requests-store';
import { ConfigError, loadConfig, parseTrustProxy } from '../../domain/config';
import {
  checkExportSignature,
  checkPreferenceSignature,
  checkStatusToken,
  exportSignature,
  preferenceSignature,
  statusToken,
} from '../../domain/privacy-links';
import { KEY_PURPOSES, parseKeyring, SigningKeys } from '../../domain/signing-keys';
import { loggableError } from '../../web/error-log';

/**
 * Issue 8 item 18: one HMAC key served the blind index, CSRF, status tokens, export and preference
 * links. Now each purpose has its own key derived (HKDF) from a versioned master, every token
 * names its key version, region keys are rings whose wrapped data keys name the key that wrapped
 * them — and the blind index, which One ID across regions depends on, is exactly what it was.
 */

const key = () => randomBytes(32).toString('base64');
const ring = (text: string) => new SigningKeys(parseKeyring('MERIDIAN_SIGNING_KEYS', text));

describe('signing keys: one derived key per purpose, versioned', () => {
  const master = key();
  const keys = ring(`s1:${master}`);

  it('derives a different key for every purpose, none of them the master', () => {
    const derived = KEY_PURPOSES.map((p) => keys.key(p)!.toString('hex'));
    expect(new Set(derived).size).toBe(KEY_PURPOSES.length);
    expect(derived).not.toContain(Buffer.from(master, 'base64').toString('hex'));
    // The same master always derives the same keys (a restart, a second server).
    expect(ring(`s1:${master}`).key('privacy-status-link')).toEqual(keys.key('privacy-status-link'));
  });

  it('forged purpose: a CSRF token for a nonce is not a status token, an export signature or a preference signature', () => {
    const id = 'pr_0123456789abcdef';
    const expires = Math.floor(Date.now() / 1000) + 3600;
    // An attacker who holds one valid signature (their own CSRF token) tries it everywhere.
    const csrf = keys.sign('privacy-csrf', `${id}:${expires}`);
    expect(keys.verify('privacy-csrf', `${id}:${expires}`, csrf)).toBe(true);
    expect(checkStatusToken(keys, id, `${expires}.${csrf}`)).toBe('invalid');
    expect(checkExportSignature(keys, id, 'eu', expires, csrf)).toBe('invalid');
    expect(checkPreferenceSignature(keys, id, 'eu', expires, csrf)).toBe('invalid');
    // Each signs only what it was made for.
    expect(checkStatusToken(keys, id, statusToken(keys, id, new Date(expires * 1000)))).toBe('valid');
    expect(checkExportSignature(keys, id, 'eu', expires, exportSignature(keys, id, 'eu', expires))).toBe('valid');
    expect(checkExportSignature(keys, id, 'us', expires, exportSignature(keys, id, 'eu', expires))).toBe('invalid');
    expect(checkPreferenceSignature(keys, id, 'eu', expires, preferenceSignature(keys, id, 'eu', expires))).toBe(
      'valid',
    );
  });

  it('status tokens expire, and a stretched expiry is a forgery', () => {
    const id = 'pr_00000000000000aa';
    const now = new Date('2025-06-01T12:00:00Z');
    const token = statusToken(keys, id, new Date('2025-06-02T12:00:00Z'));
    expect(token).toMatch(/^\d+\.s1\.[A-Za-z0-9_-]+$/);
    expect(checkStatusToken(keys, id, token, now)).toBe('valid');
    expect(checkStatusToken(keys, id, token, new Date('2025-06-02T12:00:01Z'))).toBe('expired');
    const stretched = token.replace(/^\d+/, (s) => String(Number(s) + 86_400));
    expect(checkStatusToken(keys, id, stretched, now)).toBe('invalid');
    expect(checkStatusToken(keys, 'pr_00000000000000bb', token, now)).toBe('invalid');
    for (const junk of [undefined, '', '.', 'abc', '1.s1.', `${token}x`])
      expect(checkStatusToken(keys, id, junk, now)).toBe('invalid');
  });

  it('rotation: what key s1 signed still checks after s2 becomes current, until s1 is retired', () => {
    const id = 'pr_00000000000000cc';
    const expires = new Date(Date.now() + 3600_000);
    const before = statusToken(keys, id, expires);
    const rotated = ring(`s2:${key()},s1:${master}`);
    expect(checkStatusToken(rotated, id, before)).toBe('valid');
    expect(statusToken(rotated, id, expires)).toMatch(/^\d+\.s2\./);
    const retired = ring(`s2:${key()}`);
    expect(checkStatusToken(retired, id, before)).toBe('invalid');
    // A keyed hash stored under s1 is found among the candidates of the rotated ring.
    expect(rotated.macs('privacy-verification-code', 'x').map((m) => m.toString('hex'))).toContain(
      keys.mac('privacy-verification-code', 'x').toString('hex'),
    );
  });

  it('is configured by MERIDIAN_SIGNING_KEYS, required, with actionable errors', () => {
    const base = { MERIDIAN_PAYLOAD_KEYS: `k1:${key()}`, MERIDIAN_IDENTITY_HMAC_KEY: key() };
    expect(() => loadConfig(base)).toThrow(/MERIDIAN_SIGNING_KEYS is not set/);
    expect(() => loadConfig({ ...base, MERIDIAN_SIGNING_KEYS: 'a.b:' + key() })).toThrow(/key ID 1–32 letters/);
    expect(() => loadConfig({ ...base, MERIDIAN_SIGNING_KEYS: `s1:${key()}`, MERIDIAN_SIGNING_KEY_ID: 's9' })).toThrow(
      /"s9" is not one of its keys/,
    );
    expect(() => loadConfig({ ...base, MERIDIAN_SIGNING_KEYS: 's1:c2hvcnQ=' })).toThrow(/5 bytes; it must be 32 bytes/);
    expect(
      loadConfig({ ...base, MERIDIAN_SIGNING_KEYS: `s1:${key()},s2:${key()}`, MERIDIAN_SIGNING_KEY_ID: 's2' })
        .signingKeys.currentId,
    ).toBe('s2');
  });
});

describe('the blind index is not derived, and does not change', () => {
  it('gives the same token as before the keys were separated (One ID across regions depends on it)', () => {
    // Computed with the code as it was before this change: any new derivation would change it.
    expect(blindIndex(Buffer.alloc(32, 7), 'email', 'jane.doe@example.com').toString('hex')).toBe(
      '539ff63cb64254eacbda83c4c2abdebe44706a509799d984749cb763966eba1a',
    );
    expect(emailBlindIndex(Buffer.alloc(32, 7), ' Jane.Doe@Example.com ')!.toString('hex')).toBe(
      '539ff63cb64254eacbda83c4c2abdebe44706a509799d984749cb763966eba1a',
    );
  });

  it('is found under the identity rules a request is filed with (Gmail dots, plus-addresses)', () => {
    const hmac = randomBytes(32);
    const stored = blindIndex(hmac, 'email', 'janedoe@gmail.com');
    expect(emailBlindIndex(hmac, 'Jane.Doe+privacy@googlemail.com')).not.toEqual(stored);
    expect(
      emailBlindIndex(hmac, 'Jane.Doe+privacy@googlemail.com', {
        gmailDotsInsensitive: true,
        plusAddressingInsensitive: true,
      }),
    ).toEqual(stored);
  });
});

describe('region keys: a ring, and wrapped data keys that name their key', () => {
  const one = key();
  const two = key();

  it('data wrapped under key 1 still opens after key 2 becomes current; new keys are wrapped by key 2', () => {
    const before = keyFromRef('env:K', { K: one });
    expect(before.keyId).toBe(LEGACY_KEY_ID);
    const dataKey = randomBytes(32);
    const wrapped = wrapDataKey(before, dataKey, 'cust-1');
    const sealedEmail = seal(before, 'jane@example.com', 'privacy-request:pr_1:email');
    expect(wrappingKeyId(wrapped)).toBe('1');

    const after = keyFromRef('env:K', { K: `2:${two},1:${one}` });
    expect(after.keyId).toBe('2');
    expect(unwrapDataKey(after, wrapped, 'cust-1')).toEqual(dataKey);
    // Values the region key sealed directly carry no ID: the older keys of the ring are tried.
    expect(open(after, sealedEmail, 'privacy-request:pr_1:email').toString()).toBe('jane@example.com');
    const rewrapped = wrapDataKey(after, dataKey, 'cust-1');
    expect(wrappingKeyId(rewrapped)).toBe('2');
    expect(unwrapDataKey(keyFromRef('env:K', { K: `2:${two}` }), rewrapped, 'cust-1')).toEqual(dataKey);

    // Key 1 retired too early: the error says which key is missing, not "wrong profile".
    expect(() => unwrapDataKey(keyFromRef('env:K', { K: `2:${two}` }), wrapped, 'cust-1')).toThrow(
      /region key "1", which is no longer in the region's key ring/,
    );
    // The binding to the customer is kept.
    expect(() => unwrapDataKey(after, wrapped, 'cust-2')).toThrow(KeyError);
  });

  it('reads keys wrapped before they had IDs (exactly 60 bytes) as wrapped by key 1', () => {
    const legacy = seal(Buffer.from(one, 'base64'), Buffer.alloc(32, 9), 'data-key:cust-9');
    expect(legacy.length).toBe(60);
    expect(wrappingKeyId(legacy)).toBe('1');
    expect(unwrapDataKey(keyFromRef('env:K', { K: `2:${two},1:${one}` }), legacy, 'cust-9')).toEqual(
      Buffer.alloc(32, 9),
    );
  });

  it('refuses a malformed ring with the variable named', () => {
    expect(() => keyFromRef('env:MERIDIAN_REGION_KEY_EU', { MERIDIAN_REGION_KEY_EU: `1:${one},1:${two}` })).toThrow(
      /MERIDIAN_REGION_KEY_EU: key ID "1" is given twice/,
    );
    expect(() => keyFromRef('env:MERIDIAN_REGION_KEY_EU', {})).toThrow(/MERIDIAN_REGION_KEY_EU is not set/);
  });
});

describe('proxy trust (issue 8 item 16)', () => {
  it('trusts no proxy unless told which, and never "everyone"', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.7,loopback')).toEqual(['10.0.0.0/8', '192.168.1.7', 'loopback']);
    expect(parseTrustProxy('fd00::/8')).toEqual(['fd00::/8']);
    expect(() => parseTrustProxy('true')).toThrow(ConfigError);
    // fastify cannot check the peer of a hop count, so a client could write the header itself.
    expect(() => parseTrustProxy('1')).toThrow(/would believe X-Forwarded-For from anyone/);
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/not an IP address or CIDR/);
    expect(() => parseTrustProxy('proxy.internal')).toThrow(/not an IP address or CIDR/);
  });
});

describe('what error handlers log (issue 8 item 23)', () => {
  it('keeps an error message that quotes an email out of the log entry', () => {
    const error = Object.assign(new Error('invalid input syntax for type uuid: "jane.doe@example.com"'), {
      code: '22P02',
      severity: 'ERROR',
    });
    const logged = JSON.stringify(loggableError(error));
    expect(logged).not.toContain('jane.doe@example.com');
    expect(loggableError(error)).toMatchObject({ class: 'Error', code: '22P02' });
    expect(loggableError(error).at).toMatch(/key-separation\.test\.ts/);
    // A message over several lines is not mistaken for a stack frame.
    const multi = new TypeError('bad value\n    jane@example.com\nend');
    expect(JSON.stringify(loggableError(multi))).not.toContain('jane@example.com');
    expect(loggableError('a string thrown: jane@example.com')).toEqual({ class: 'String' });
  });
});
