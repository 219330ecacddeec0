import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError, ConnectorHostRefused, ConnectorRequestError } from '../../connectors/errors';
import { CONNECTOR_HOST_OVERRIDE_ENV, isPublicAddress, VendorHttp } from '../../connectors/http';
import { KlaviyoSettings } from '../../connectors/klaviyo';
import { MetaAudiencesSettings } from '../../connectors/meta-audiences';
import { AmazonSettings } from '../../connectors/amazon';
import { ShopeeSettings } from '../../connectors/shopee';
import { ShopifyClient, ShopifySettings, shopifyPrivacySystem } from '../../connectors/shopify';
import { TwilioMessagesClient, TwilioSettings } from '../../connectors/twilio';
import { EMULATOR_HOST } from '../emulators/hosts';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { IngestionHarness, startIngestion } from '../support/ingestion';

/**
 * Issue 8, item 5: SSRF and credential forwarding. Connector URL settings took any URL (link-local
 * metadata, loopback, the database port); a settings-only change kept the stored credentials, which the
 * next call sent to the new host; fetch followed cross-origin redirects with the vendor's token header.
 * Here no test-only host override is set, except where a test sets it for itself (the redirect), so
 * every check is the one production runs.
 */

delete process.env[CONNECTOR_HOST_OVERRIDE_ENV];

/** A TCP listener that only counts the connections it gets: a refused call must never reach it. */
async function countingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server: TcpServer = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function thrown(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe('connector egress: SSRF and credential forwarding', () => {
  const listeners: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    delete process.env[CONNECTOR_HOST_OVERRIDE_ENV];
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });

  it('SSRF through a connector URL setting: link-local, loopback, the database port, plain http and foreign hosts are refused', () => {
    const refused = [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'https://169.254.169.254',
      'https://127.0.0.1:5432',
      'https://localhost:5432',
      'https://[::1]:8080',
      'http://meridian-demo.myshopify.com',
      'https://evil.example.com',
      'https://myshopify.com.evil.example.com',
      'https://user:pass@meridian-demo.myshopify.com',
    ];
    for (const shopUrl of refused) {
      const parsed = ShopifySettings.safeParse({ shopUrl, timeZone: 'Asia/Tokyo' });
      expect(parsed.success, shopUrl).toBe(false);
    }
    expect(
      ShopifySettings.safeParse({ shopUrl: 'http://169.254.169.254', timeZone: 'Asia/Tokyo' }).error?.issues[0]
        ?.message,
    ).toBe(
      'must be an https:// URL: Meridian sends Shopify credentials over TLS only, e.g. https://my-store.myshopify.com',
    );
    expect(
      ShopifySettings.safeParse({ shopUrl: 'https://127.0.0.1:5432', timeZone: 'Asia/Tokyo' }).error?.issues[0]
        ?.message,
    ).toBe(
      "must be on Shopify's own API host (*.myshopify.com), e.g. https://my-store.myshopify.com: Meridian sends Shopify credentials nowhere else",
    );
    expect(
      ShopifySettings.safeParse({ shopUrl: 'https://meridian-demo.myshopify.com', timeZone: 'Asia/Tokyo' }).success,
    ).toBe(true);

    // Every connector's URL settings are pinned to its vendor.
    expect(KlaviyoSettings.safeParse({ baseUrl: 'http://127.0.0.1:6379' }).success).toBe(false);
    expect(KlaviyoSettings.safeParse({ baseUrl: 'https://a.klaviyo.com' }).success).toBe(true);
    expect(
      MetaAudiencesSettings.safeParse({ baseUrl: 'https://169.254.169.254', adAccountId: '1', audienceIds: ['2'] })
        .success,
    ).toBe(false);
    expect(ShopeeSettings.safeParse({ baseUrl: 'https://10.0.0.5', partnerId: 1, shopId: 1 }).success).toBe(false);
    expect(
      ShopeeSettings.safeParse({ baseUrl: 'https://partner.test-stable.shopeemobile.com', partnerId: 1, shopId: 1 })
        .success,
    ).toBe(true);
    expect(
      AmazonSettings.safeParse({ endpoint: 'https://metadata.google.internal', marketplaceIds: ['A1VC38T7YXB528'] })
        .success,
    ).toBe(false);
    expect(
      AmazonSettings.safeParse({ lwaUrl: 'https://api.amazon.com.evil.example', marketplaceIds: ['A1VC38T7YXB528'] })
        .success,
    ).toBe(false);
    expect(
      TwilioSettings.safeParse({ accountSid: `AC${'0'.repeat(32)}`, baseUrl: 'http://127.0.0.1:7233' }).success,
    ).toBe(false);
  });

  it('SSRF through settings stored before the rules: the call is refused before any connection is made', async () => {
    const database = await countingListener();
    listeners.push(database);
    // As if read from the database: validation is bypassed, the core still checks at the call.
    const session = shopifyPrivacySystem.open(
      { shopUrl: `http://127.0.0.1:${database.port}`, timeZone: 'Asia/Tokyo' },
      { accessToken: 'shpat_secret' },
      { idempotencyKey: 'r:s' },
    );
    const error = await thrown(
      session.erase!({ customerId: 'c', emails: ['someone@example.com'], phones: [], platformIds: {} }),
    );
    expect(error).toBeInstanceOf(ConnectorHostRefused);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^Shopify: refused to call http:\/\/127\.0\.0\.1:\d+: the URL must be an https:\/\/ URL/,
    );
    expect(error.message).not.toContain('someone@example.com');
    const twilio = new TwilioMessagesClient({
      accountSid: `AC${'0'.repeat(32)}`,
      auth: { authToken: 'secret' },
      baseUrl: `https://127.0.0.1:${database.port}`,
    });
    expect(await thrown(twilio.listFor(['+14155550100']))).toBeInstanceOf(ConnectorHostRefused);
    expect(database.connections()).toBe(0);
  });

  it('SSRF through DNS: a vendor host name that resolves to loopback is refused after resolution, before connecting', async () => {
    const inside = await countingListener();
    listeners.push(inside);
    // A vendor whose host name resolves to 127.0.0.1 (as a rebinding or a poisoned record would make it).
    const http = new VendorHttp({ system: 'Rebinding vendor', hosts: ['localhost'] }, { timeoutMs: 2_000 });
    const error = await thrown(http.send({ url: `https://localhost:${inside.port}/api` }, { operation: 'calling it' }));
    expect(error).toBeInstanceOf(ConnectorHostRefused);
    expect(error.message).toMatch(
      /^Rebinding vendor: refused to call localhost:\d+ while calling it: it resolves to (127\.0\.0\.1|::1)/,
    );
    // An address literal is checked the same way, without a lookup.
    const literal = new VendorHttp(
      { system: 'Literal vendor', hosts: ['127.0.0.1', '169.254.169.254'] },
      { timeoutMs: 2_000 },
    );
    expect(await thrown(literal.send({ url: `https://127.0.0.1:${inside.port}/` }, {}))).toBeInstanceOf(
      ConnectorHostRefused,
    );
    expect(inside.connections()).toBe(0);

    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      'fe80::1',
      'fd00::1',
      '224.0.0.1',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['23.227.38.65', '104.16.0.1', '2606:4700::1111'])
      expect(isPublicAddress(address), address).toBe(true);
  });

  it('credential forwarding through a redirect: a vendor answering 302 to another host gets no token sent there', async () => {
    const stolen: string[] = [];
    const thief: Server = createServer((request, response) => {
      stolen.push(String(request.headers['x-shopify-access-token'] ?? '(no token)'));
      response.end('{"customers":[]}');
    });
    await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
    const thiefPort = (thief.address() as AddressInfo).port;
    const vendor: Server = createServer((_request, response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${thiefPort}/admin/api/2024-10/customers.json` });
      response.end();
    });
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
    listeners.push(
      { close: () => new Promise((resolve) => thief.close(() => resolve())) },
      { close: () => new Promise((resolve) => vendor.close(() => resolve())) },
    );
    // The emulator host is let through here, as in every emulator test: the redirect rule is what is under test.
    process.env[CONNECTOR_HOST_OVERRIDE_ENV] = EMULATOR_HOST;

    const client = new ShopifyClient({
      shopUrl: `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`,
      accessToken: 'shpat_must_not_leave',
    });
    const error = await thrown(client.fetchPage('customers', {}));
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^Shopify answered with a redirect \(HTTP 302\) for shop 127\.0\.0\.1:\d+ while listing customers: Meridian follows no redirect/,
    );
    expect(stolen).toEqual([]);
  });

  describe('through the admin API', () => {
    let d: TestDeployment;
    let h: IngestionHarness;
    beforeAll(async () => {
      d = await createTestDeployment('egress');
      h = await startIngestion(d);
    }, 120_000);
    afterAll(async () => {
      await h?.close();
      await d?.close();
    });

    it('SSRF through the admin API: a connector pointed at the metadata service or the database is refused', async () => {
      const metadata = await h.admin('POST', '/admin/connectors', {
        id: 'ssrf_klaviyo',
        name: 'metadata',
        system: 'klaviyo',
        region: 'eu',
        settings: { baseUrl: 'http://169.254.169.254/latest/meta-data' },
        credentials: { apiKey: 'pk_x' },
      });
      expect(metadata.status).toBe(400);
      expect(metadata.body.error).toMatch(/^settings\.baseUrl: must be an https:\/\/ URL/);
      const database = await h.admin('POST', '/admin/connectors', {
        id: 'ssrf_shop',
        name: 'database',
        system: 'shopify',
        region: 'eu',
        settings: { shopUrl: 'https://127.0.0.1:5432', timeZone: 'Europe/Berlin' },
        credentials: { accessToken: 'shpat_x' },
      });
      expect(database.status).toBe(400);
      expect(database.body.error).toMatch(/^settings\.shopUrl: must be on Shopify's own API host/);
    });

    it('credential forwarding through a settings-only URL change: the stored token must be given again', async () => {
      const created = await h.admin('POST', '/admin/connectors', {
        id: 'forward_shop',
        name: 'Berlin store',
        system: 'shopify',
        region: 'eu',
        settings: { shopUrl: 'https://berlin-store.myshopify.com', timeZone: 'Europe/Berlin' },
        credentials: { accessToken: 'shpat_berlin_secret' },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      const moved = await h.admin('PUT', '/admin/connectors/forward_shop', {
        settings: { shopUrl: 'https://attacker-store.myshopify.com', timeZone: 'Europe/Berlin' },
      });
      expect(moved.status).toBe(400);
      expect(moved.body.error).toBe(
        'credentials: required when settings.shopUrl changes — give the credentials again with the new URL, so that the stored ones are never sent to a host they were not given for',
      );
      expect((await h.admin('GET', '/admin/connectors/forward_shop')).body.settings.shopUrl).toBe(
        'https://berlin-store.myshopify.com',
      );

      // Other settings change without credentials; a URL change with them goes through.
      expect(
        (
          await h.admin('PUT', '/admin/connectors/forward_shop', {
            settings: { shopUrl: 'https://berlin-store.myshopify.com', timeZone: 'Europe/Paris' },
          })
        ).status,
      ).toBe(200);
      const withToken = await h.admin('PUT', '/admin/connectors/forward_shop', {
        settings: { shopUrl: 'https://paris-store.myshopify.com', timeZone: 'Europe/Paris' },
        credentials: { accessToken: 'shpat_paris_secret' },
      });
      expect(withToken.status).toBe(200);
      expect(withToken.body.settings.shopUrl).toBe('https://paris-store.myshopify.com');
    });
  });
});
