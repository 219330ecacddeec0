import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveRegions } from '../../domain/regions';
import { cliTypeName, MERIDIAN_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';

// docker-compose.yml cannot run here (no Docker engine); this keeps it in step with the code.
const compose = parse(readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[] | string; environment?: Record<string, string>; ports?: string[] }>;
};

describe('docker-compose.yml', () => {
  it('has one worker service per region, each serving only its region', () => {
    const regions = resolveRegions().regions.map((r) => r.name);
    const workers = Object.keys(compose.services).filter((s) => s.startsWith('worker-'));
    expect(workers.sort()).toEqual(regions.map((r) => `worker-${r}`).sort());
    for (const region of regions) {
      expect(compose.services[`worker-${region}`]!.command).toEqual(['node', '--import', 'tsx', 'workers/main.ts', '--regions', region]);
    }
  });

  it('runs PostgreSQL, Temporal on PostgreSQL, the Temporal UI with the codec, web and migrations', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'web', 'migrate']));
    expect(compose.services.temporal!.environment!.DB).toBe('postgres12');
    expect(compose.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:3000/codec');
    expect(compose.services.web!.command).toEqual(['node', '--import', 'tsx', 'web/main.ts']);
    expect(compose.services.migrate!.command).toEqual(['node', '--import', 'tsx', 'scripts/migrate.ts']);
    expect(compose.services.web!.environment!.NODE_ENV).toBe('production');
  });

  it('gives each regional worker its own region key and no other', () => {
    for (const region of ['eu', 'us', 'apac']) {
      const env = compose.services[`worker-${region}`]!.environment!;
      const keys = Object.keys(env).filter((k) => k.startsWith('MERIDIAN_REGION_KEY_'));
      expect(keys).toEqual([`MERIDIAN_REGION_KEY_${region.toUpperCase()}`]);
    }
    expect(Object.keys(compose.services['worker-global']!.environment!).some((k) => k.startsWith('MERIDIAN_REGION_KEY_'))).toBe(false);
    expect(compose.services.web!.environment!.MERIDIAN_IDENTITY_HMAC_KEY).toBeDefined();
  });

  it('registers every search attribute Meridian sets', () => {
    const setup = String(compose.services['temporal-setup']!.command);
    for (const key of MERIDIAN_SEARCH_ATTRIBUTES) expect(setup).toContain(`--name ${key.name} --type ${cliTypeName(key)}`);
  });
});
