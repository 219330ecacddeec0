import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../domain/config';
import { resolveRegions } from '../../domain/regions';
import { cliTypeName, MERIDIAN_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { DEFAULT_NODE_FLAGS } from '../../scripts/entry-point';
import { bundleFile } from '../../scripts/server-bundle';
import { PROJECT_ROOT } from '../../scripts/project-root';

// docker-compose.yml cannot run here (no Docker engine); this keeps it in step with the code.
const compose = parse(readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      command?: string[] | string;
      environment?: Record<string, string>;
      ports?: string[];
      networks?: string[];
      volumes?: string[];
    }
  >;
  networks: Record<string, { internal?: boolean } | null>;
};
const proxyConfig = readFileSync(path.join(__dirname, '../../deploy/nginx/temporal-ui.conf.template'), 'utf8');
const zeroKey = Buffer.alloc(32).toString('base64');
const config = loadConfig({
  MERIDIAN_PAYLOAD_KEYS: `k:${zeroKey}`,
  MERIDIAN_IDENTITY_HMAC_KEY: zeroKey,
  MERIDIAN_SIGNING_KEYS: `k:${zeroKey}`,
});
/** The user of a postgres:// URL in the compose file (the password part is a ${…} substitution). */
const dbUser = (url: string | undefined) => /^postgres:\/\/([^:@]+)[:@]/.exec(url ?? '')?.[1];

describe('docker-compose.yml', () => {
  it('has one worker service per region, each serving only its region', () => {
    const regions = resolveRegions().regions.map((r) => r.name);
    const workers = Object.keys(compose.services).filter((s) => s.startsWith('worker-'));
    expect(workers.sort()).toEqual(regions.map((r) => `worker-${r}`).sort());
    // The worker's V8 flags, as `npm start` gives them (scripts/entry-point.ts).
    const workerFlags = DEFAULT_NODE_FLAGS['workers/main.ts']!;
    expect(workerFlags.length).toBeGreaterThan(0);
    for (const region of regions) {
      // The bundle the image compiled (scripts/server-bundle.ts), as runEntryPoint runs it.
      expect(compose.services[`worker-${region}`]!.command).toEqual([
        'node',
        ...workerFlags,
        path.relative(PROJECT_ROOT, bundleFile('workers/main.ts')),
        '--regions',
        region,
      ]);
    }
  });

  it('runs PostgreSQL, Temporal on PostgreSQL, the Temporal UI with the codec, web and migrations', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'temporal-ui-proxy', 'web', 'migrate']),
    );
    expect(compose.services.temporal!.environment!.DB).toBe('postgres12');
    // The web server's V8 flags, as `npm start` gives them (scripts/entry-point.ts), in compose, the image and `npm run web`.
    const webFlags = DEFAULT_NODE_FLAGS['web/main.ts']!;
    expect(webFlags.length).toBeGreaterThan(0);
    // …and runs the bundle scripts/server-bundle.ts compiles, as runEntryPoint does, not the sources through tsx.
    const bundle = path.relative(PROJECT_ROOT, bundleFile('web/main.ts'));
    expect(bundle).toBe('.build/web/main.cjs');
    expect(compose.services.web!.command).toEqual(['node', ...webFlags, bundle]);
    const dockerfile = readFileSync(path.join(__dirname, '../../Dockerfile'), 'utf8');
    expect(dockerfile).toContain('RUN npx tsx scripts/server-bundle.ts web/main.ts workers/main.ts');
    expect(dockerfile).toContain(`CMD ["${['node', ...webFlags, bundle].join('", "')}"]`);
    const scripts = (
      JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.web).toBe(`tsx scripts/server-bundle.ts web/main.ts && node ${webFlags.join(' ')} ${bundle}`);
    expect(scripts.worker).toBe(
      `tsx scripts/server-bundle.ts workers/main.ts && node ${DEFAULT_NODE_FLAGS['workers/main.ts']!.join(' ')} ${path.relative(PROJECT_ROOT, bundleFile('workers/main.ts'))}`,
    );
    expect(compose.services.migrate!.command).toEqual(['node', '--import', 'tsx', 'scripts/migrate.ts']);
    expect(compose.services.web!.environment!.NODE_ENV).toBe('production');
  });

  it('gives each regional worker its own region key and no other', () => {
    for (const region of ['eu', 'us', 'apac']) {
      const env = compose.services[`worker-${region}`]!.environment!;
      const keys = Object.keys(env).filter((k) => k.startsWith('MERIDIAN_REGION_KEY_'));
      expect(keys).toEqual([`MERIDIAN_REGION_KEY_${region.toUpperCase()}`]);
    }
    expect(
      Object.keys(compose.services['worker-global']!.environment!).some((k) => k.startsWith('MERIDIAN_REGION_KEY_')),
    ).toBe(false);
    expect(compose.services.web!.environment!.MERIDIAN_IDENTITY_HMAC_KEY).toBeDefined();
  });

  it('registers every search attribute Meridian sets', () => {
    const setup = String(compose.services['temporal-setup']!.command);
    for (const key of MERIDIAN_SEARCH_ATTRIBUTES)
      expect(setup).toContain(`--name ${key.name} --type ${cliTypeName(key)}`);
  });

  it('publishes no Temporal port: the frontend and the UI are on internal networks, the UI only behind its login', () => {
    for (const name of ['postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'migrate']) {
      expect(compose.services[name]!.ports, `${name} publishes a port`).toBeUndefined();
      for (const network of compose.services[name]!.networks ?? [])
        expect(compose.networks[network]?.internal, `${name} on ${network}`).toBe(true);
    }
    const published = Object.entries(compose.services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => `${name} ${p}`),
    );
    expect(published.sort()).toEqual(['temporal-ui-proxy 8233:8080', 'web 3000:3000']);
    // The proxy asks for a login on everything it serves.
    expect(proxyConfig).toMatch(/^\s*auth_basic "Meridian operators";/m);
    expect(compose.services['temporal-ui-proxy']!.volumes).toContain('./deploy/nginx/htpasswd:/etc/nginx/htpasswd:ro');
  });

  it("sends the UI's codec calls through the proxy to the operator listener, with the operator token", () => {
    expect(compose.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:8233/codec');
    const web = compose.services.web!.environment!;
    expect(web.MERIDIAN_OPERATOR_PORT).toBe(String(config.operator.port));
    expect(web.MERIDIAN_OPERATOR_TOKENS).toMatch(/^\$\{MERIDIAN_OPERATOR_TOKEN:\?/);
    expect(web.MERIDIAN_OPERATOR_TRUST_LOCAL_UI).toBeUndefined();
    expect(proxyConfig).toContain(`proxy_pass http://web:${web.MERIDIAN_OPERATOR_PORT}/codec/;`);
    expect(proxyConfig).toContain('proxy_set_header Authorization "Bearer ${MERIDIAN_OPERATOR_TOKEN}";');
    // The operator port is never published, and the UI's own server gets no credentials.
    expect(compose.services.web!.ports).toEqual([`${config.web.port}:${config.web.port}`]);
    expect(proxyConfig).toMatch(/location \/ \{[^}]*proxy_set_header Authorization "";/);
  });

  it("gives each worker its region's database role (and the global one), and the superuser to migrations only", () => {
    for (const region of resolveRegions().regions.map((r) => r.name)) {
      const env = compose.services[`worker-${region}`]!.environment!;
      expect(dbUser(env.DATABASE_URL), `worker-${region}`).toBe(`meridian_${region}`);
      const urls = Object.keys(env).filter((k) => k.startsWith('DATABASE_URL'));
      expect(urls.sort()).toEqual(region === 'global' ? ['DATABASE_URL'] : ['DATABASE_URL', 'DATABASE_URL_GLOBAL']);
      if (region !== 'global') expect(dbUser(env.DATABASE_URL_GLOBAL)).toBe('meridian_global');
    }
    const web = compose.services.web!.environment!;
    for (const region of ['global', 'eu', 'us', 'apac'])
      expect(dbUser(web[`DATABASE_URL_${region.toUpperCase()}`])).toBe(`meridian_${region}`);
    expect(dbUser(web.DATABASE_URL)).toBe('meridian_global');
    // Only the migrate job (and PostgreSQL itself) has the superuser; it makes the roles.
    const superuser = Object.entries(compose.services)
      .filter(([, s]) => Object.values(s.environment ?? {}).some((v) => dbUser(String(v)) === 'postgres'))
      .map(([name]) => name);
    expect(superuser).toEqual(['migrate']);
    expect(compose.services.migrate!.environment!.MERIDIAN_DB_ROLES).toBe('1');
    for (const region of ['GLOBAL', 'EU', 'US', 'APAC'])
      expect(compose.services.migrate!.environment![`MERIDIAN_DB_PASSWORD_${region}`]).toBeDefined();
    expect(compose.services.temporal!.environment!.POSTGRES_USER).toBe('temporal');
  });
});
