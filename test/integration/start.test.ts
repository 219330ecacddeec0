import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runEntryPoint, waitForExit } from '../support/deployment';
import { eventually } from '../support/eventually';
import postgres from 'postgres';
import { databaseUrl } from '../../db/connections';
import { answers } from '../../scripts/embedded-postgres';
import { freePort, holdPort } from '../support/ports';

/** `npm start` end to end: dev server, migrations, workers, web, demo workflow, URLs, Ctrl-C. */
describe('npm start', () => {
  it('brings everything up, prints working URLs, and stops it all on Ctrl-C', async () => {
    const [temporalPort, uiPort, webPort, operatorPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.MERIDIAN_PAYLOAD_KEYS;
    Object.assign(env, {
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_PORT: String(uiPort),
      MERIDIAN_WEB_PORT: String(webPort),
      MERIDIAN_OPERATOR_PORT: String(operatorPort),
      MERIDIAN_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'meridian-start-')),
      MERIDIAN_DB_SUFFIX: `${inject('runSuffix')}_start`,
      DATABASE_URL: inject('databaseUrl'),
    });
    const child = runEntryPoint('scripts/start.ts', [], env);
    const exit = waitForExit(child, 240_000);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));

    await eventually(async () => expect(output).toContain('Meridian is running.'), 180_000, 500);
    expect(output).toMatch(/✓ demo: region-health-\S+ probed eu \([\d.]+ ms\), us \([\d.]+ ms\), apac \([\d.]+ ms\)/);

    const uiUrl = /Temporal UI\s+(\S+)/.exec(output)![1]!;
    const webUrl = /Web\s+(\S+)/.exec(output)![1]!;
    expect(uiUrl).toBe(`http://localhost:${uiPort}/namespaces/meridian/workflows`);
    expect((await fetch(uiUrl)).status).toBe(200);
    const settings = (await (await fetch(`http://localhost:${uiPort}/api/v1/settings`)).json()) as {
      Codec: { Endpoint: string };
    };
    // The UI's codec is the operator listener, not the public port.
    expect(settings.Codec.Endpoint).toBe(`http://127.0.0.1:${operatorPort}/codec`);
    expect(/Codec\s+(\S+)/.exec(output)![1]).toBe(`http://127.0.0.1:${operatorPort}/codec`);
    const ready = await fetch(webUrl);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const secrets = readFileSync(path.join(env.MERIDIAN_DATA_DIR!, 'dev-secrets.env'), 'utf8');
    const operatorToken = /^MERIDIAN_OPERATOR_TOKENS=(.+)$/m.exec(secrets)![1]!;
    const operatorUrl = /Operator\s+(\S+)/.exec(output)![1]!;
    expect(operatorUrl).toBe(`http://127.0.0.1:${operatorPort}/ready`);
    expect((await fetch(operatorUrl)).status).toBe(401);
    const detailed = await fetch(operatorUrl, { headers: { authorization: `Bearer ${operatorToken}` } });
    expect(((await detailed.json()) as { regions: unknown[] }).regions).toHaveLength(4);
    // In development the dev UI (no login, so no token) decodes from its own origin, over loopback.
    const encode = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${operatorPort}/codec/encode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'meridian', ...headers },
        body: JSON.stringify({ payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'IjEi' }] }),
      });
    expect((await encode({ origin: `http://localhost:${uiPort}` })).status).toBe(200);
    expect((await encode({ origin: 'http://evil.example' })).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${webPort}/codec/decode`, { method: 'POST' })).status).toBe(404);

    expect(output).toMatch(/✓ schedule fx-rates-ecb created/);
    expect(output).toMatch(/✓ demo: \d{4} days of ECB reference rates imported/);
    // Demo data went through the real tracking API: Lena is one person in two regions…
    expect(output).toContain('✓ demo: 3 sources (eu, us, apac) and 10 events sent through /v1/batch');
    expect(output).toContain(
      '✓ demo: connector demo_tokyo_pos (Shift_JIS POS export, apac) synced: completed, 6 orders, 1 row rejected',
    );
    // The shipped ECB history gave every demo order its reporting amount.
    const apac = postgres(databaseUrl(inject('databaseUrl'), `cdp_apac_${env.MERIDIAN_DB_SUFFIX}`), {
      max: 1,
      onnotice: () => {},
    });
    try {
      const orders = await apac`select reporting_total_minor, fx_problem from orders`;
      expect(orders).toHaveLength(6);
      expect(orders.filter((o) => o.reporting_total_minor === null || o.fx_problem !== null)).toEqual([]);
    } finally {
      await apac.end();
    }
    // Each process logs short human lines, not JSON: time, then method, route, status and ms.
    expect(output).toMatch(/^\[web\] \d\d:\d\d:\d\d POST \/v1\/batch 200 \d+ ms$/m);
    expect(output).toMatch(/^\[worker-eu\] \d\d:\d\d:\d\d worker ready region=eu taskQueue=meridian-eu$/m);
    expect(output).not.toMatch(/^\[(web|worker-\w+)\] \{/m);
    const adminToken = /^MERIDIAN_ADMIN_TOKENS=(.+):\*$/m.exec(secrets)![1]!;
    // `npm start` answers tracking calls on commit to the intake log: the workers write them moments later.
    let lena = { regions: [] } as { regions: { region: string; traits?: Record<string, { value: unknown }> }[] };
    await eventually(async () => {
      const lookup = await fetch(`http://127.0.0.1:${webPort}/admin/profiles/lookup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'email', value: 'lena.gross@example.de' }),
      });
      expect(lookup.status).toBe(200);
      lena = (await lookup.json()) as typeof lena;
      expect(lena.regions.map((r) => r.region).sort(), 'regions holding Lena so far').toHaveLength(3);
    }, 90_000);
    // …and a third: the demo POS export has an order of hers in the Tokyo store (apac).
    expect(lena.regions.map((r) => r.region).sort()).toEqual(['apac', 'eu', 'us']);
    expect(lena.regions.find((r) => r.region === 'eu')!.traits!.name!.value).toBe('Lena Groß');

    // The privacy portal is up, and its emails land in the local mailbox.
    const portal = await fetch(`http://127.0.0.1:${webPort}/privacy?lang=ja`);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toContain('lang="ja"');
    const filed = await fetch(`http://127.0.0.1:${webPort}/privacy/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'access', email: 'yuki.yamada@example.jp', country: 'JP', locale: 'ja' }),
    });
    expect(filed.status).toBe(202);
    const { requestId } = (await filed.json()) as { requestId: string };
    const mailDir = path.join(env.MERIDIAN_DATA_DIR!, 'mail');
    await eventually(async () => {
      const mails = readdirSync(mailDir).map((f) => readFileSync(path.join(mailDir, f), 'utf8'));
      expect(mails.some((m) => m.includes(requestId))).toBe(true);
    }, 15_000);

    child.kill('SIGINT');
    const { code } = await exit;
    expect(code).toBe(0);
    expect(output).toMatch(
      /stopping Meridian…[\s\S]*web stopped[\s\S]*worker-eu stopped[\s\S]*temporal stopped\nstopped\./,
    );
    // Nothing left behind: every port is free again.
    for (const port of [temporalPort, uiPort, webPort, operatorPort]) (await holdPort(port)).close();
  }, 300_000);

  it('starts an embedded PostgreSQL in .data/pg when none answers, says so, and stops it last on Ctrl-C', async () => {
    const [temporalPort, uiPort, webPort, pgPort, operatorPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dataDir = mkdtempSync(path.join(tmpdir(), 'meridian-start-pg-'));
    chmodSync(dataDir, 0o755); // as root the server runs as OS user postgres, which must enter it
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    delete env.MERIDIAN_PAYLOAD_KEYS;
    Object.assign(env, {
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_PORT: String(uiPort),
      MERIDIAN_WEB_PORT: String(webPort),
      MERIDIAN_OPERATOR_PORT: String(operatorPort),
      MERIDIAN_DATA_DIR: dataDir,
      MERIDIAN_PG_PROBE_PORT: String(pgPort), // nothing listens there: the machine's server stays untouched
    });
    const child = runEntryPoint('scripts/start.ts', [], env);
    const exit = waitForExit(child, 240_000);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    try {
      await eventually(async () => expect(output).toContain('✓ Temporal dev server on'), 180_000, 500);
      expect(output).toContain(
        `✓ PostgreSQL: embedded 18.4 on 127.0.0.1:${pgPort}, data in ${path.join(dataDir, 'pg')} ` +
          `(nothing answers on 127.0.0.1:${pgPort} and DATABASE_URL is not set)`,
      );
      expect(output).toMatch(
        /✓ databases migrated: cdp_global \(new\), cdp_eu \(new\), cdp_us \(new\), cdp_apac \(new\)/,
      );
      expect(await answers('127.0.0.1', pgPort)).toBe(true);
    } finally {
      child.kill('SIGINT');
    }
    const { code } = await exit;
    expect(code).toBe(0);
    // (A step under way when Ctrl-C came may still report in between.)
    expect(output).toMatch(/stopping Meridian…[\s\S]*temporal stopped\n[\s\S]*  postgres stopped\nstopped\./);
    expect(await answers('127.0.0.1', pgPort)).toBe(false);
    expect(existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true); // kept for the next start
    rmSync(dataDir, { recursive: true, force: true });
  });
});
