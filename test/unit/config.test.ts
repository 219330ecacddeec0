import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { regionServerUrl } from '../../db/connections';
import { ConfigError, loadConfig } from '../../domain/config';

const key = () => randomBytes(32).toString('base64');

describe('configuration from the environment', () => {
  const base = {
    MERIDIAN_PAYLOAD_KEYS: `k1:${key()}`,
    MERIDIAN_IDENTITY_HMAC_KEY: key(),
    MERIDIAN_SIGNING_KEYS: `s1:${key()}`,
  };

  it('has working defaults for a local machine', () => {
    const config = loadConfig(base);
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432');
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'meridian', uiPort: 8233 });
    expect(config.web.port).toBe(3000);
    expect(config.payloadKeys.currentKeyId).toBe('k1');
    expect(config.adminTokens).toEqual([]);
    expect(config.ingestRatePerSource).toBe(50_000);
  });

  it('reads the workers’ workflow cache size when given (else the SDK chooses) and refuses a bad one', () => {
    expect(loadConfig({ ...base, MERIDIAN_WORKFLOW_CACHE_SIZE: '12000' }).temporal.workflowCacheSize).toBe(12_000);
    expect(() => loadConfig({ ...base, MERIDIAN_WORKFLOW_CACHE_SIZE: '-1' })).toThrow(/MERIDIAN_WORKFLOW_CACHE_SIZE/);
    expect(() => loadConfig({ ...base, MERIDIAN_WORKFLOW_CACHE_SIZE: 'many' })).toThrow(/MERIDIAN_WORKFLOW_CACHE_SIZE/);
  });

  it('says what is wrong with DATABASE_URL, keys and ports', () => {
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://root@localhost' })).toThrow(
      /DATABASE_URL is not a PostgreSQL URL: expected postgres:\/\//,
    );
    expect(() => loadConfig({ ...base, DATABASE_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/MERIDIAN_PAYLOAD_KEYS is not set/);
    expect(() => loadConfig({ MERIDIAN_PAYLOAD_KEYS: 'k1:c2hvcnQ=' })).toThrow(
      /key "k1" is 5 bytes; AES-256 needs 32 bytes/,
    );
    expect(() => loadConfig({ ...base, MERIDIAN_PAYLOAD_KEY_ID: 'k9' })).toThrow(/"k9" is not one of the keys/);
    expect(() => loadConfig({ ...base, MERIDIAN_WEB_PORT: '99999' })).toThrow(/MERIDIAN_WEB_PORT/);
    expect(() => loadConfig({ MERIDIAN_PAYLOAD_KEYS: base.MERIDIAN_PAYLOAD_KEYS })).toThrow(
      /MERIDIAN_IDENTITY_HMAC_KEY is not set/,
    );
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

  it('puts the operator listener on loopback, apart from the public port, and keeps the dev exception out of production', () => {
    const config = loadConfig(base);
    expect(config.operator).toMatchObject({ host: '127.0.0.1', port: 3001, tokens: [], trustLocalUi: false });
    expect(config.operator.uiOrigins).toEqual(['http://localhost:8233', 'http://127.0.0.1:8233']);
    const token = 'o'.repeat(24);
    expect(loadConfig({ ...base, MERIDIAN_OPERATOR_TOKENS: `${token}, ${'p'.repeat(30)}` }).operator.tokens).toEqual([
      token,
      'p'.repeat(30),
    ]);
    expect(() => loadConfig({ ...base, MERIDIAN_OPERATOR_TOKENS: 'short' })).toThrow(
      /MERIDIAN_OPERATOR_TOKENS: give comma-separated tokens of 24\+ characters/,
    );
    expect(() => loadConfig({ ...base, MERIDIAN_OPERATOR_PORT: '3000' })).toThrow(
      /is the public web port: the operator listener needs its own/,
    );
    expect(loadConfig({ ...base, MERIDIAN_OPERATOR_TRUST_LOCAL_UI: '1' }).operator.trustLocalUi).toBe(true);
    expect(() => loadConfig({ ...base, MERIDIAN_OPERATOR_TRUST_LOCAL_UI: '1', NODE_ENV: 'production' })).toThrow(
      /for development only/,
    );
    expect(() =>
      loadConfig({ ...base, MERIDIAN_OPERATOR_TRUST_LOCAL_UI: '1', MERIDIAN_OPERATOR_HOST: '0.0.0.0' }),
    ).toThrow(/needs the operator listener on a loopback address, not 0.0.0.0/);
  });

  it('connects each region with its own DATABASE_URL_<REGION> when given, else DATABASE_URL', () => {
    const config = loadConfig({
      ...base,
      DATABASE_URL_EU: 'postgres://meridian_eu:pw@db:5432',
      DATABASE_URL_GLOBAL: 'postgres://meridian_global:pw@db:5432',
    });
    expect(config.databaseUrls).toEqual({
      global: 'postgres://meridian_global:pw@db:5432',
      eu: 'postgres://meridian_eu:pw@db:5432',
    });
    expect(regionServerUrl(config, 'eu')).toBe('postgres://meridian_eu:pw@db:5432');
    expect(regionServerUrl(config, 'us')).toBe(config.databaseUrl);
    // Migrations and setup run as the owner.
    expect(regionServerUrl(config, 'eu', { asOwner: true })).toBe(config.databaseUrl);
    expect(config.databaseRoles).toBe(false);
    expect(loadConfig({ ...base, MERIDIAN_DB_ROLES: '1' }).databaseRoles).toBe(true);
    expect(() => loadConfig({ ...base, DATABASE_URL_US: 'mysql://x@y' })).toThrow(
      /DATABASE_URL_US is not a PostgreSQL URL/,
    );
  });
});
