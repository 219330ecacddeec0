import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorAuthError, ConnectorTransientError } from '../../connectors/errors';
import type { ConnectorContext, ConnectorSession } from '../../connectors/framework';
import {
  DEAL_CONTACTS_PATH,
  HubSpotCredentials,
  HubSpotSettings,
  hubspotConnector,
  searchPath,
  TOKEN_PATH,
} from '../../connectors/hubspot';
import { allowEmulatorHosts } from '../emulators/hosts';
import { HubSpotEmulator, HubSpotEmulatorOptions, startHubSpotEmulator } from '../emulators/hubspot';
import { connectorFailure, walkPass } from '../support/connector-pass';

allowEmulatorHosts();

/** The HubSpot connector, through the session the sync opens, against the local CRM API emulator. */

const CLIENT_ID = 'a1b2c3d4-0000-4000-8000-00000000abcd';
const CLIENT_SECRET = 'hubspot-client-secret-for-tests';
const ACCESS = 'CJSP-access-initial';
const REFRESH = 'na1-refresh-initial';
const SOURCE_ID = 'src_hubspot';
const START = Date.parse('2025-05-09T05:03:00Z');
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('hubspotConnector against the CRM API emulator', () => {
  let hubspot: HubSpotEmulator | undefined;
  let clockMs = START;
  const clock = () => new Date(clockMs);

  afterEach(async () => {
    await hubspot?.close();
    hubspot = undefined;
    clockMs = START;
  });

  async function start(options: Partial<HubSpotEmulatorOptions> = {}) {
    hubspot = await startHubSpotEmulator({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      now: clock,
      tenSecondly: null,
      searchesPerSecond: null,
      ...options,
    });
    return hubspot;
  }

  function open(
    emulator: HubSpotEmulator,
    settings: Record<string, unknown> = {},
    credentials: Record<string, unknown> = {},
    context: Partial<ConnectorContext> = {},
  ): ConnectorSession {
    return hubspotConnector.open(
      HubSpotSettings.parse({
        clientId: CLIENT_ID,
        apiUrl: emulator.baseUrl,
        currency: 'EUR',
        timeZone: 'Europe/Berlin',
        ...settings,
      }),
      HubSpotCredentials.parse({
        clientSecret: CLIENT_SECRET,
        accessToken: ACCESS,
        refreshToken: REFRESH,
        ...credentials,
      }),
      { sourceId: SOURCE_ID, now: clock, sleep: async () => {}, ...context },
    );
  }

  const contacts = (count: number, from: number, perMs = 1) =>
    Array.from({ length: count }, (_, i) => ({
      id: String(1_000 + i),
      email: `person${i}@example.com`,
      phone: i % 2 === 0 ? `+49 30 1234 ${String(i).padStart(4, '0')}` : undefined,
      firstname: `First${i}`,
      createdAt: new Date(from + Math.floor(i / perMs) * 60_000),
    }));

  it('pages contacts oldest modification first, each once, as customers with e-mail and phone', async () => {
    const emulator = await start();
    emulator.addContacts(contacts(250, START - 10 * DAY_MS, 3));
    const pass = await walkPass(open(emulator, { pageSize: 100 }), { stream: 'customers' });
    expect(pass.rejected).toEqual([]);
    expect(pass.customers).toHaveLength(250);
    expect(new Set(pass.customers.map((c) => c.externalId)).size).toBe(250);
    expect(pass.customers[0]).toEqual({
      sourceId: SOURCE_ID,
      externalId: '1000',
      email: 'person0@example.com',
      phone: '+49 30 1234 0000',
      firstName: 'First0',
      createdAt: iso(START - 10 * DAY_MS),
      updatedAt: iso(START - 10 * DAY_MS),
    });
    const searches = emulator.requests.filter((r) => r.path === searchPath('contacts'));
    expect(searches).toHaveLength(3);
    expect(searches[0]!.body).toMatchObject({
      filterGroups: [
        {
          filters: [
            { propertyName: 'lastmodifieddate', operator: 'GTE', value: String(Date.parse('2006-01-01T00:00:00Z')) },
            { propertyName: 'lastmodifieddate', operator: 'LT', value: String(START) },
          ],
        },
      ],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      limit: 100,
    });
    expect(pass.highWater).toBe(iso(START - 10 * DAY_MS + 83 * 60_000));
  });

  it('moves its window past the 10,000 results one search reaches, losing and repeating nothing', async () => {
    const emulator = await start();
    // 10,250 contacts, five modified at each minute: page ends fall inside a shared millisecond.
    emulator.addContacts(contacts(10_250, START - 30 * DAY_MS, 5));
    const pass = await walkPass(open(emulator, { pageSize: 200 }), { stream: 'customers' });
    const ids = pass.customers.map((c) => c.externalId);
    expect(ids).toHaveLength(10_250);
    expect(new Set(ids).size).toBe(10_250);
    const searches = emulator.requests.filter((r) => r.path === searchPath('contacts'));
    expect(searches.every((r) => r.status === 200)).toBe(true);
    const afters = searches.map((r) => Number((r.body as { after?: string }).after ?? 0));
    expect(Math.max(...afters) + 200).toBeLessThanOrEqual(10_000);
    expect(afters.filter((a) => a === 0).length).toBe(2);
  });

  it('turns won deals into orders of their contact, lost ones into cancelled orders, and skips open ones', async () => {
    const emulator = await start();
    const at = START - 2 * DAY_MS;
    emulator.addDeals([
      {
        id: '5001',
        amount: '1290.50',
        currency: 'EUR',
        stage: 'closedwon',
        closedAt: new Date(at),
        createdAt: new Date(at - DAY_MS),
        contactIds: ['1002', '1001'],
      },
      {
        id: '5002',
        amount: '99',
        stage: 'closedlost',
        closedAt: new Date(at),
        createdAt: new Date(at - DAY_MS),
        contactIds: ['1003'],
      },
      { id: '5003', amount: '500', stage: 'contractsent', createdAt: new Date(at - DAY_MS) },
      {
        id: '5004',
        amount: '120000',
        currency: 'JPY',
        stage: 'closedwon',
        closedAt: new Date(at),
        createdAt: new Date(at - DAY_MS),
      },
      {
        id: '5005',
        stage: 'closedwon',
        closedAt: new Date(at),
        createdAt: new Date(at - DAY_MS),
        contactIds: ['1004'],
      },
    ]);
    const pass = await walkPass(open(emulator), { stream: 'orders' });
    expect(pass.orders.map((o) => [o.externalId, o.status, o.currency, o.totalMinor, o.customerExternalId])).toEqual([
      ['5001', 'closed', 'EUR', '129050', '1001'],
      ['5002', 'cancelled', 'EUR', '9900', '1003'],
      ['5004', 'closed', 'JPY', '120000', undefined],
    ]);
    expect(pass.orders[0]).toMatchObject({
      placedAt: iso(at),
      timeZone: 'Europe/Berlin',
      financialStatus: 'closedwon',
    });
    expect(pass.rejected).toEqual([
      { externalId: '5005', reason: 'properties.amount: a closed deal must have an amount' },
    ]);
    const association = emulator.requests.find((r) => r.path === DEAL_CONTACTS_PATH);
    expect(association?.status).toBe(207);
  });

  it('reads only what changed after the high water of the last pass', async () => {
    const emulator = await start();
    emulator.addContacts(contacts(30, START - 5 * DAY_MS));
    const first = await walkPass(open(emulator), { stream: 'customers' });
    expect(first.customers).toHaveLength(30);
    clockMs = START + 3_600_000;
    emulator.updateContact('1004', { lastname: 'Changed' });
    emulator.updateContact('1017');
    clockMs += 60_000;
    const second = await walkPass(open(emulator), { stream: 'customers', since: first.highWater! });
    expect(second.customers.map((c) => c.externalId)).toEqual(['1004', '1017']);
    expect(second.customers[0]!.lastName).toBe('Changed');
  });

  it('waits out TEN_SECONDLY_ROLLING for its Retry-After and SECONDLY by backing off; 5xx and cut answers are transient', async () => {
    const emulator = await start({ searchesPerSecond: 1 });
    emulator.addContacts(contacts(30, START - DAY_MS));
    const waits: number[] = [];
    emulator.failNext(1, 429);
    const sleep = async (ms: number) => {
      waits.push(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    };
    const pass = await walkPass(open(emulator, { pageSize: 10 }, {}, { sleep }), {
      stream: 'customers',
    });
    expect(pass.customers).toHaveLength(30);
    // Retry-After: 1 for the rolling limit, then 1 s, 2 s … for the search's secondly limit.
    expect(waits[0]).toBe(1_000);
    expect(emulator.requests.some((r) => r.reason === 'SECONDLY')).toBe(true);

    await emulator.close();
    const withFaults = await start();
    withFaults.addContacts(contacts(5, START - DAY_MS));
    withFaults.failNext(1, 502);
    withFaults.failNext(1, 'garbage');
    const retried = await walkPass(open(withFaults), { stream: 'customers', retries: 2 });
    expect(retried.customers).toHaveLength(5);
    expect(retried.retried.map((e) => e.constructor)).toEqual([ConnectorTransientError, ConnectorTransientError]);
  });

  it('refreshes an expired access token once and hands the new pair over before using it', async () => {
    const emulator = await start();
    emulator.addContacts(contacts(3, START - DAY_MS));
    emulator.expireAccessToken();
    const saved: unknown[] = [];
    const pass = await walkPass(
      open(emulator, {}, {}, { saveCredentials: async (credentials) => void saved.push(credentials) }),
      { stream: 'customers' },
    );
    expect(pass.customers).toHaveLength(3);
    expect(emulator.requests.map((r) => [r.path, r.status, r.reason])).toEqual([
      [searchPath('contacts'), 401, 'EXPIRED_AUTHENTICATION'],
      [TOKEN_PATH, 200, undefined],
      [searchPath('contacts'), 200, undefined],
    ]);
    expect(saved).toEqual([
      { clientSecret: CLIENT_SECRET, ...emulator.tokens(), accessTokenExpiresAt: iso(START + 1_800_000) },
    ]);
  });

  it('fails with "reconnect" when the app was uninstalled, after one refresh attempt', async () => {
    const emulator = await start();
    emulator.addContacts(contacts(3, START - DAY_MS));
    emulator.revokeToken();
    const error = await connectorFailure(walkPass(open(emulator), { stream: 'customers' }));
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /HubSpot refused the refresh token for HubSpot app .* while refreshing the access token: reconnect the HubSpot account in Meridian/,
    );
    expect(error.message).toContain('BAD_REFRESH_TOKEN');
    expect(emulator.requests.map((r) => r.reason)).toEqual(['INVALID_AUTHENTICATION', 'BAD_REFRESH_TOKEN']);
  });

  it("takes API URLs only on HubSpot's own hosts, over https, and a currency it knows", () => {
    const base = { clientId: CLIENT_ID, currency: 'EUR' };
    expect(HubSpotSettings.safeParse({ ...base, apiUrl: 'https://api.hubapi.com' }).success).toBe(true);
    for (const url of ['https://evil.example.com', 'http://api.hubapi.com', 'https://10.0.0.1'])
      expect(HubSpotSettings.safeParse({ ...base, apiUrl: url }).success).toBe(false);
    expect(HubSpotSettings.safeParse({ ...base, currency: 'EURO' }).success).toBe(false);
  });
});
