import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../domain/config';

const key = () => randomBytes(32).toString('base64');

describe('configuration from the environment', () => {
  const base = { MERIDIAN_PAYLOAD_KEYS: `k1:${key()}`, MERIDIAN_IDENTITY_HMAC_KEY: key(), MERIDIAN_SIGNING_KEYS: `s1:${key()}` };

  it('has working defaults for a local machine', () => {
    const config = loadConfig(base);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432');
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'meridian', uiPort: 8233 });
    expect(config.web.port).toBe(3000);
    expect(config.payloadKeys.currentKeyId).toBe('k1');
    expect(config.adminTokens).toEqual([]);
    expect(config.ingestRatePerSource).toBe(50_000);
  });

  it('says what is wrong with DATABASE_URL, keys and ports', () => {
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://root@localhost' })).toThrow(
      /DATABASE_URL is not a PostgreSQL URL: expected postgres:\/\//,
    );
    expect(() => loadConfig({ ...base, DATABASE_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/MERIDIAN_PAYLOAD_KEYS is not set/);
    expect(() => loadConfig({ MERIDIAN_PAYLOAD_KEYS: 'k1:c2hvcnQ=' })).toThrow(/key "k1" is 5 bytes; AES-256 needs 32 bytes/);
    expect(() => loadConfig({ ...base, MERIDIAN_PAYLOAD_KEY_ID: 'k9' })).toThrow(/"k9" is not one of the keys/);
    expect(() => loadConfig({ ...base, MERIDIAN_WEB_PORT: '99999' })).toThrow(/MERIDIAN_WEB_PORT/);
    expect(() => loadConfig({ MERIDIAN_PAYLOAD_KEYS: base.MERIDIAN_PAYLOAD_KEYS })).toThrow(/MERIDIAN_IDENTITY_HMAC_KEY is not set/);
    expect(() => loadConfig({ ...base, MERIDIAN_ADMIN_TOKENS: 'short:*' })).toThrow(/tokens of 24\+ characters/);
  });

  it('reads admin tokens with the regions each may read', () => {
    const t1 = 'a'.repeat(24);
    const t2 = 'b'.repeat(30);
    expect(loadConfig({ ...base, MERIDIAN_ADMIN_TOKENS: `${t1}:*, ${t2}:eu+us` }).adminTokens).toEqual([
      { token: t1, regions: '*' },
      { token: t2, regions: ['eu', 'us'] },
    ]);
  });

  it('reads added regions from MERIDIAN_REGIONS_FILE and names a bad file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-config-'));
    const file = path.join(dir, 'regions.json');
    writeFileSync(file, JSON.stringify({ regions: { cn: { countries: ['CN'] } } }));
    expect(loadConfig({ ...base, MERIDIAN_REGIONS_FILE: file }).regions.homeRegionOf('CN').name).toBe('cn');
    expect(() => loadConfig({ ...base, MERIDIAN_REGIONS_FILE: path.join(dir, 'missing.json') })).toThrow(
      /MERIDIAN_REGIONS_FILE .*missing.json cannot be read/,
    );
  });
});
