import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorTransientError,
} from '../../connectors/errors';
import type { ConnectedSystemSession, PersonIdentifiers, PrivacyContext } from '../../connectors/privacy';
import { ManualActionRequired } from '../../connectors/errors';
import { shopifyPrivacySystem } from '../../connectors/shopify/privacy';
import { TwilioCredentials, TwilioSettings, twilioSystem } from '../../connectors/twilio/index';
import { ShopifyEmulator, startShopifyEmulator } from '../emulators/shopify';
import { startTwilioEmulator, TwilioEmulator } from '../emulators/twilio';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * The Twilio and Shopify connected systems for privacy against their local emulators: Twilio through
 * the official `twilio` SDK (its `httpClient` pointed at the emulator), Shopify's Admin REST API by fetch.
 * No Temporal: the systems are called as an activity would call them.
 */

const ACCOUNT_SID = `AC${'3f'.repeat(16)}`;
const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const API_KEY = { sid: `SK${'5e'.repeat(16)}`, secret: 'twilio-api-key-secret' };
const SENDER = '+15017122661';
const PERSON_PHONE = '+819012345678';
const PERSON_OTHER_PHONE = '+447700900123';
const OTHER_PHONE = '+14155550199';

const SHOP_TOKEN = 'shpat_meridian_privacy_test';
const NOW = new Date('2025-05-09T05:03:00Z');

const PERSONAL_VALUES = [
  PERSON_PHONE,
  PERSON_OTHER_PHONE,
  OTHER_PHONE,
  '819012345678',
  'yui.sato@example.com',
  'kenji@example.com',
  '+819011112222',
  'Yui',
  'Sato',
  'Kenji',
];

function expectNoPersonalValues(...things: unknown[]): void {
  for (const thing of things) {
    const text = thing instanceof Error ? `${thing.name}: ${thing.message}` : JSON.stringify(thing);
    for (const value of PERSONAL_VALUES) expect(text, `a personal value leaked: ${value}`).not.toContain(value);
  }
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

const person = (fields: Partial<PersonIdentifiers>): PersonIdentifiers => ({
  customerId: 'cus_test',
  emails: [],
  phones: [],
  platformIds: {},
  ...fields,
});

describe('Twilio connected system (twilio SDK → emulator)', () => {
  let emulator: TwilioEmulator | undefined;

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  async function start(): Promise<TwilioEmulator> {
    emulator = await startTwilioEmulator({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiKeys: [API_KEY],
      now: () => NOW,
    });
    return emulator;
  }

  function open(
    twilio: TwilioEmulator,
    options: { credentials?: TwilioCredentials; pageSize?: number; context?: Partial<PrivacyContext> } = {},
  ): ConnectedSystemSession {
    const settings = TwilioSettings.parse({
      accountSid: ACCOUNT_SID,
      baseUrl: twilio.baseUrl,
      pageSize: options.pageSize ?? 2,
    });
    const credentials = TwilioCredentials.parse(options.credentials ?? { authToken: AUTH_TOKEN });
    return twilioSystem.open(settings, credentials, {
      idempotencyKey: 'req_1:twilio',
      sleep: async () => {},
      ...options.context,
    });
  }

  /** Five messages to the person's first number, two from them (inbound) on two numbers, three to someone else. */
  function seedHistory(twilio: TwilioEmulator): { theirs: string[]; others: string[] } {
    const at = (minute: number) => new Date(Date.UTC(2025, 3, 1, 9, minute));
    const theirs = twilio.seedMessages([
      ...Array.from({ length: 5 }, (_, i) => ({
        to: PERSON_PHONE,
        from: SENDER,
        body: `Your order ${i} has shipped`,
        dateSent: at(i * 2),
      })),
      { to: SENDER, from: PERSON_PHONE, body: 'STOP', direction: 'inbound' as const, dateSent: at(11) },
      {
        to: SENDER,
        from: PERSON_OTHER_PHONE,
        body: 'Where is my parcel?',
        direction: 'inbound' as const,
        dateSent: at(12),
      },
    ]);
    const others = twilio.seedMessages(
      Array.from({ length: 3 }, (_, i) => ({
        to: OTHER_PHONE,
        from: SENDER,
        body: `Hello ${i}`,
        dateSent: at(i * 2 + 1),
      })),
    );
    return { theirs, others };
  }

  it('erases exactly the person’s messages, to and from each number, across pages; the others stay', async () => {
    const twilio = await start();
    const { theirs, others } = seedHistory(twilio);
    const session = open(twilio, { pageSize: 2 });

    const outcome = await session.erase!(person({ phones: [PERSON_PHONE, PERSON_OTHER_PHONE] }));

    expect(outcome.status).toBe('done');
    expect(outcome.evidence.messagesDeleted).toBe(String(theirs.length));
    expect(outcome.evidence.messagesAlreadyDeleted).toBe('0');
    expect(outcome.evidence.twilioRequestIds!.split(',')).toHaveLength(theirs.length);
    for (const id of outcome.evidence.twilioRequestIds!.split(',')) expect(id).toMatch(/^RQ[0-9a-f]{32}$/);
    expect(outcome.evidence.idempotencyKey).toBe('req_1:twilio');
    expect(
      twilio
        .messages()
        .map((m) => m.sid)
        .sort(),
    ).toEqual([...others].sort());
    expectNoPersonalValues(outcome);

    // Through the SDK, with Twilio's paging: PageSize=2 over five messages is three pages, followed by PageToken.
    const lists = twilio.requests.filter((r) => r.method === 'GET');
    expect(lists.every((r) => r.userAgent.startsWith('twilio-node/') && r.auth === 'account')).toBe(true);
    const toFirstNumber = lists.filter((r) => r.query.To === PERSON_PHONE);
    expect(toFirstNumber.map((r) => r.query.Page ?? '0')).toEqual(['0', '1', '2']);
    expect(toFirstNumber.slice(1).every((r) => /^PASM[0-9a-f]{32}$/.test(r.query.PageToken ?? ''))).toBe(true);
    expect(
      lists
        .filter((r) => r.query.From !== undefined)
        .map((r) => r.query.From)
        .sort(),
    ).toEqual([PERSON_OTHER_PHONE, PERSON_PHONE].sort());
    const deletes = twilio.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path.split('/').at(-1)).sort()).toEqual(theirs.map((sid) => `${sid}.json`).sort());
    expect(deletes.every((r) => r.status === 204)).toBe(true);
  });

  it('erases again as done with 0 deleted (idempotent), and reports not-found for a person without a phone', async () => {
    const twilio = await start();
    const { others } = seedHistory(twilio);
    const session = open(twilio);
    const who = person({ phones: [PERSON_PHONE, PERSON_OTHER_PHONE] });

    await session.erase!(who);
    const again = await session.erase!(who);
    expect(again.status).toBe('done');
    expect(again.evidence.messagesDeleted).toBe('0');
    expect(twilio.messages()).toHaveLength(others.length);

    const nobody = await session.erase!(person({ phones: [], emails: ['kenji@example.com'] }));
    expect(nobody.status).toBe('not-found');
    expectNoPersonalValues(again, nobody);
  });

  it('leaves a message Twilio is still sending (error 20009) for a retry, which then finishes the job', async () => {
    const twilio = await start();
    const [sending, delivered] = twilio.seedMessages([
      { to: PERSON_PHONE, from: SENDER, body: 'Sending now', status: 'sending' },
      { to: PERSON_PHONE, from: SENDER, body: 'Delivered earlier', dateSent: new Date('2025-05-01T00:00:00Z') },
    ]);
    const session = open(twilio);
    const who = person({ phones: [PERSON_PHONE] });

    const error = await failure(session.erase!(who));
    expect(error).toBeInstanceOf(ConnectorTransientError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('20009');
    expect(twilio.messages().map((m) => m.sid)).toEqual([sending]);
    expect(delivered).toBeDefined();

    twilio.setStatus(sending!, 'delivered');
    const retried = await session.erase!(who);
    expect(retried).toMatchObject({ status: 'done', evidence: { messagesDeleted: '1' } });
    expect(twilio.messages()).toEqual([]);
    expectNoPersonalValues(error, retried);
  });

  it('exports the person’s messages (sid, date_sent, direction, status, body), newest first, and nobody else’s', async () => {
    const twilio = await start();
    const { theirs } = seedHistory(twilio);
    const session = open(twilio, { pageSize: 3 });

    const { outcome, data } = await session.export!(person({ phones: [PERSON_PHONE, PERSON_OTHER_PHONE] }));

    expect(outcome).toMatchObject({ status: 'done', evidence: { messagesExported: String(theirs.length) } });
    expectNoPersonalValues(outcome);
    const messages = (data as { messages: Record<string, unknown>[] }).messages;
    expect(messages.map((m) => m.sid).sort()).toEqual([...theirs].sort());
    expect(Object.keys(messages[0]!).sort()).toEqual(['body', 'date_sent', 'direction', 'sid', 'status']);
    expect(messages[0]).toEqual({
      sid: theirs[6],
      date_sent: '2025-04-01T09:12:00.000Z',
      direction: 'inbound',
      status: 'received',
      body: 'Where is my parcel?',
    });
    const times = messages.map((m) => m.date_sent as string);
    expect([...times].sort().reverse()).toEqual(times);
    expect(twilio.messages()).toHaveLength(10); // export deletes nothing
  });

  it('authenticates with an API key SID and secret as well', async () => {
    const twilio = await start();
    seedHistory(twilio);
    const session = open(twilio, { credentials: { apiKeySid: API_KEY.sid, apiKeySecret: API_KEY.secret } });
    const { outcome } = await session.export!(person({ phones: [PERSON_PHONE] }));
    expect(outcome.evidence.messagesExported).toBe('6');
    expect(twilio.requests.every((r) => r.auth === 'api-key')).toBe(true);
  });

  it('turns revoked credentials into an actionable, non-retryable ConnectorAuthError', async () => {
    const twilio = await start();
    seedHistory(twilio);
    twilio.revokeAuth();
    const error = await failure(open(twilio).erase!(person({ phones: [PERSON_PHONE] })));

    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.message).toContain('check the Twilio Account SID and Auth Token');
    expect(error.message).toContain(ACCOUNT_SID);
    expect(error.message).toContain('20003');
    expect(error.message).not.toContain(AUTH_TOKEN);
    expectNoPersonalValues(error);
    expect(twilio.messages()).toHaveLength(10);
  });

  it('waits out 429s (Twilio sends no Retry-After: 1 s, 2 s … backoff), then gives up as ConnectorRateLimited', async () => {
    const twilio = await start();
    const { theirs } = seedHistory(twilio);
    const waits: number[] = [];
    const heartbeats: number[] = [];
    const context = { sleep: async (ms: number) => void waits.push(ms), heartbeat: () => void heartbeats.push(1) };

    twilio.failNext(2, 429);
    const outcome = await open(twilio, { context }).erase!(person({ phones: [PERSON_PHONE, PERSON_OTHER_PHONE] }));
    expect(outcome.evidence.messagesDeleted).toBe(String(theirs.length));
    expect(waits).toEqual([1000, 2000]);
    expect(heartbeats.length).toBeGreaterThan(0);

    waits.length = 0;
    twilio.failNext(6, 429);
    const error = await failure(open(twilio, { context }).export!(person({ phones: [PERSON_PHONE] })));
    expect(error).toBeInstanceOf(ConnectorRateLimited);
    expect(error.retryable).toBe(true);
    expect((error as ConnectorRateLimited).retryAfterMs).toBeGreaterThan(0);
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000]);
    expectNoPersonalValues(error);
  });

  it('classifies 500, an edge 503 page and a cut-short JSON answer as transient, echoing no body', async () => {
    const twilio = await start();
    seedHistory(twilio);
    const who = person({ phones: [PERSON_PHONE] });
    for (const fault of [500, 503, 'garbage'] as const) {
      twilio.failNext(1, fault);
      const error = await failure(open(twilio).export!(who));
      expect(error, String(fault)).toBeInstanceOf(ConnectorTransientError);
      expect(error.retryable).toBe(true);
      expect(error.message).not.toMatch(/<html|"messages"|SM0{32}/);
      expectNoPersonalValues(error);
    }
  });

  it('formats next_page_uri exactly as Twilio does, and answers Twilio’s error bodies', async () => {
    const twilio = await start();
    seedHistory(twilio);
    const auth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    const list = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;

    const first = await fetch(`${twilio.baseUrl}${list}?To=${encodeURIComponent(PERSON_PHONE)}&PageSize=2`, {
      headers: { Authorization: auth },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('twilio-request-id')).toMatch(/^RQ[0-9a-f]{32}$/);
    const page = (await first.json()) as Record<string, unknown>;
    expect(page.next_page_uri).toMatch(
      new RegExp(
        `^/2010-04-01/Accounts/${ACCOUNT_SID}/Messages\\.json\\?To=%2B819012345678&PageSize=2&Page=1&PageToken=PASM[0-9a-f]{32}$`,
      ),
    );
    expect(page).toMatchObject({
      page: 0,
      page_size: 2,
      start: 0,
      end: 1,
      previous_page_uri: null,
      first_page_uri: `${list}?To=%2B819012345678&PageSize=2&Page=0`,
    });
    expect((page.messages as Record<string, unknown>[])[0]).toMatchObject({
      account_sid: ACCOUNT_SID,
      api_version: '2010-04-01',
      direction: 'outbound-api',
      date_sent: 'Tue, 01 Apr 2025 09:08:00 +0000',
    });

    const unauthenticated = await fetch(`${twilio.baseUrl}${list}`);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toEqual({
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    const missing = await fetch(
      `${twilio.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/SM${'0'.repeat(32)}.json`,
      { method: 'DELETE', headers: { Authorization: auth } },
    );
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 20404, status: 404 });
    twilio.failNext(1, 429);
    const throttled = await fetch(`${twilio.baseUrl}${list}`, { headers: { Authorization: auth } });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(await throttled.json()).toMatchObject({ code: 20429, message: 'Too Many Requests' });
  });

  it('validates its settings and credentials', () => {
    expect(TwilioSettings.safeParse({ accountSid: 'AC123' }).success).toBe(false);
    expect(TwilioSettings.safeParse({ accountSid: ACCOUNT_SID }).success).toBe(true);
    expect(TwilioCredentials.safeParse({ authToken: 'x' }).success).toBe(true);
    expect(TwilioCredentials.safeParse({ apiKeySid: API_KEY.sid, apiKeySecret: 's' }).success).toBe(true);
    expect(TwilioCredentials.safeParse({ apiKeySid: 'nope', apiKeySecret: 's' }).success).toBe(false);
    expect(twilioSystem.supports).toEqual(['erase', 'export']);
    expect(twilioSystem.purposes).toEqual([]);
  });
});

describe('Shopify connected system (Admin REST → emulator)', () => {
  let shopify: ShopifyEmulator | undefined;

  afterEach(async () => {
    await shopify?.close();
    shopify = undefined;
  });

  const YUI = 7_310_000_100_000;
  const KENJI = 7_310_000_200_000;
  const NO_PHONE = 7_310_000_300_000;

  async function start(): Promise<ShopifyEmulator> {
    shopify = await startShopifyEmulator({ accessToken: SHOP_TOKEN, now: () => NOW });
    shopify.addCustomers([
      {
        id: YUI,
        email: 'yui.sato@example.com',
        phone: '+819011112222',
        first_name: 'Yui',
        last_name: 'Sato',
        updated_at: '2025-05-01T10:00:00+09:00',
        email_marketing_consent: {
          state: 'subscribed',
          opt_in_level: 'single_opt_in',
          consent_updated_at: '2025-01-01T00:00:00Z',
        },
        sms_marketing_consent: {
          state: 'subscribed',
          opt_in_level: 'single_opt_in',
          consent_updated_at: '2025-01-01T00:00:00Z',
        },
      },
      { id: KENJI, email: 'kenji@example.com', first_name: 'Kenji', phone: null },
      { id: NO_PHONE, email: null, phone: null, first_name: null },
    ]);
    shopify.addOrders([
      {
        id: 5_920_000_900_000,
        customer_id: KENJI,
        line_items: [{ sku: 'MRD-TEE-01', title: 'Organic cotton tee', quantity: 1, price: '2900' }],
      },
    ]);
    return shopify;
  }

  const open = (emulator: ShopifyEmulator, key = 'req_1:shopify'): ConnectedSystemSession =>
    shopifyPrivacySystem.open(
      { shopUrl: emulator.baseUrl, timeZone: 'Asia/Tokyo' },
      { accessToken: SHOP_TOKEN },
      { idempotencyKey: key, sleep: async () => {} },
    );

  const consentOf = (emulator: ShopifyEmulator, id: number) => {
    const customer = emulator.customer(id)!;
    return {
      email: (customer.email_marketing_consent as { state: string } | null)?.state,
      sms: (customer.sms_marketing_consent as { state: string } | null)?.state,
      updatedAt: customer.updated_at,
    };
  };

  it('applyConsent denied sets email and SMS marketing consent to unsubscribed; granted subscribes again', async () => {
    const emulator = await start();
    const session = open(emulator);
    const yui = person({
      platformIds: { shopify_customer: [String(YUI)] },
      emails: ['yui.sato@example.com'],
      phones: ['+819011112222'],
    });

    const denied = await session.applyConsent!(yui, {
      purposes: [
        { purpose: 'emailMarketing', state: 'denied' },
        { purpose: 'smsMarketing', state: 'denied' },
        { purpose: 'analytics', state: 'denied' },
      ],
    });

    expect(denied.status).toBe('done');
    expect(denied.evidence).toMatchObject({
      result: 'shopify customer updated',
      customersUpdated: '1',
      emailMarketingState: 'unsubscribed',
      smsMarketingState: 'unsubscribed',
    });
    expect(denied.evidence.updated_at).toBe('2025-05-09T14:03:00+09:00');
    expect(consentOf(emulator, YUI)).toEqual({
      email: 'unsubscribed',
      sms: 'unsubscribed',
      updatedAt: '2025-05-09T14:03:00+09:00',
    });
    const put = emulator.requests.find((r) => r.method === 'PUT');
    expect(put).toMatchObject({ path: `/admin/api/2024-10/customers/${YUI}.json`, status: 200 });

    const granted = await session.applyConsent!(yui, { purposes: [{ purpose: 'emailMarketing', state: 'granted' }] });
    expect(granted.status).toBe('done');
    expect(consentOf(emulator, YUI)).toMatchObject({ email: 'subscribed', sms: 'unsubscribed' });
    expectNoPersonalValues(denied, granted);
  });

  it('suppress unsubscribes both channels, sending only the channels the customer has', async () => {
    const emulator = await start();
    const session = open(emulator);
    const kenji = await session.suppress!(person({ platformIds: { shopify_customer: [String(KENJI)] } }));
    expect(kenji.status).toBe('done');
    expect(consentOf(emulator, KENJI)).toMatchObject({ email: 'unsubscribed', sms: undefined }); // no phone: no SMS consent sent, no 422

    const neither = await session.suppress!(person({ platformIds: { shopify_customer: [String(NO_PHONE)] } }));
    expect(neither).toMatchObject({
      status: 'done',
      evidence: { customersUpdated: '0', customersWithoutEmailOrPhone: '1' },
    });
    expect(emulator.requests.filter((r) => r.status >= 400)).toEqual([]);
    expectNoPersonalValues(kenji, neither);
  });

  it('erases a customer without orders; a second erase finds nothing (not-found)', async () => {
    const emulator = await start();
    const session = open(emulator);
    const yui = person({ platformIds: { shopify_customer: [String(YUI)] } });

    const erased = await session.erase!(yui);
    expect(erased).toMatchObject({
      status: 'done',
      evidence: { result: 'shopify customer deleted', customersDeleted: '1' },
    });
    expect(erased.evidence.shopifyRequestIds).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.customer(YUI)).toBeUndefined();

    const again = await session.erase!(yui);
    expect(again.status).toBe('not-found');
    expect(emulator.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([200, 404]);
    expectNoPersonalValues(erased, again);
  });

  it('finds the customer by e-mail when there is no Shopify ID, without putting the address in evidence', async () => {
    const emulator = await start();
    const erased = await open(emulator).erase!(person({ emails: ['Yui.Sato@example.com'] }));
    expect(erased).toMatchObject({
      status: 'done',
      evidence: { lookup: 'customer search by e-mail', customersDeleted: '1' },
    });
    expect(emulator.customer(YUI)).toBeUndefined();
    expect(emulator.requests[0]).toMatchObject({
      method: 'GET',
      path: '/admin/api/2024-10/customers/search.json',
      query: { query: 'email:"yui.sato@example.com"', fields: 'id,email' },
    });
    expectNoPersonalValues(erased);

    const nobody = await open(emulator).erase!(person({ emails: ['nobody@example.com'] }));
    expect(nobody.status).toBe('not-found');
  });

  it('shopify erasure with a hostile email (search syntax injection) keeps the address one value and touches no one else', async () => {
    const emulator = await start();
    const ANA = 7_310_000_400_000;
    const BEN = 7_310_000_500_000;
    emulator.addCustomers([
      { id: ANA, email: 'ana@x.com', first_name: 'Ana', phone: null },
      { id: BEN, email: 'ben@x.com', first_name: 'Ben', phone: null },
    ]);
    const everyone = [YUI, KENJI, NO_PHONE, ANA, BEN];
    const search = async (query: string) => {
      const res = await fetch(
        `${emulator.baseUrl}/admin/api/2024-10/customers/search.json?${new URLSearchParams({ query, fields: 'id' })}`,
        {
          headers: { 'X-Shopify-Access-Token': SHOP_TOKEN },
        },
      );
      expect(res.status).toBe(200);
      return ((await res.json()) as { customers: { id: number }[] }).customers.map((c) => c.id);
    };
    // No space and one @, so it passes as an address; lower-case survives the lookup's lower-casing. Written
    // into `email:"…"` unescaped, it closes the quote early: `email:"*"` AND x AND "@x.com", as Shopify reads it.
    const breakout = '*"x"@x.com';
    expect(await search(`email:"${breakout}"`)).toEqual([ANA, BEN]);

    const erased = await open(emulator).erase!(person({ emails: [breakout] }));
    expect(erased.status).toBe('not-found');
    const searches = () =>
      emulator.requests.filter((r) => r.path.endsWith('/customers/search.json')).map((r) => r.query.query);
    expect(searches().at(-1)).toBe('email:"*\\"x\\"@x.com"');
    // The form with OR (lower-cased on the way, escaped all the same), and a bare wildcard address, whose hits are not the address.
    for (const hostile of ['a"OR email:*@x.com"@example.com', '*@x.com']) {
      expect(await open(emulator).erase!(person({ emails: [hostile] }))).toMatchObject({ status: 'not-found' });
    }
    expect(searches().at(-2)).toBe('email:"a\\"or email:*@x.com\\"@example.com"');
    expect(emulator.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    for (const id of everyone) expect(emulator.customer(id), `customer ${id} must stay`).toBeDefined();

    // An address that really holds a quote is still found, by its escaped form.
    const QUOTED = 7_310_000_600_000;
    emulator.addCustomers([{ id: QUOTED, email: 'o"neil@example.com', first_name: 'Quinn', phone: null }]);
    expect(await search('email:"o\\"neil@example.com"')).toEqual([QUOTED]);
    expect(await open(emulator).erase!(person({ emails: ['o"neil@example.com'] }))).toMatchObject({
      status: 'done',
      evidence: { customersDeleted: '1' },
    });
    expect(emulator.customer(QUOTED)).toBeUndefined();
    for (const id of everyone) expect(emulator.customer(id)).toBeDefined();
  });

  it('refuses to erase a customer with orders as ManualActionRequired, saying what to do in the Shopify admin', async () => {
    const emulator = await start();
    const error = await failure(open(emulator).erase!(person({ platformIds: { shopify_customer: [String(KENJI)] } })));

    expect(error).toBeInstanceOf(ManualActionRequired);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(422);
    expect(error.message).toContain(`Customers → customer ${KENJI}`);
    expect(error.message).toContain('Erase personal data');
    expect(error.message).toContain(new URL(emulator.baseUrl).host);
    expect((error as ManualActionRequired).records).toEqual([String(KENJI)]);
    expect((error as ManualActionRequired).action).toMatch(
      /^In the Shopify admin of .* More actions → Erase personal data/,
    );
    expect(emulator.customer(KENJI)).toBeDefined();
    expectNoPersonalValues(error);
  });

  it('exports the customer and their orders', async () => {
    const emulator = await start();
    const { outcome, data } = await open(emulator).export!(
      person({ platformIds: { shopify_customer: [String(KENJI), '7310000999999'] } }),
    );
    expect(outcome).toMatchObject({ status: 'done', evidence: { customersExported: '1', ordersExported: '1' } });
    const [entry] = (
      data as {
        customers: { customer: Record<string, unknown>; orders: Record<string, unknown>[]; ordersCount: number }[];
      }
    ).customers;
    expect(entry!.customer).toMatchObject({ id: KENJI, email: 'kenji@example.com' });
    expect(entry!.orders).toEqual([expect.objectContaining({ id: 5_920_000_900_000, total_price: '2900' })]);
    expectNoPersonalValues(outcome);
  });

  it('turns a revoked token into ConnectorAuthError', async () => {
    const emulator = await start();
    emulator.revokeToken();
    const error = await failure(
      open(emulator).applyConsent!(person({ platformIds: { shopify_customer: [String(YUI)] } }), {
        purposes: [{ purpose: 'emailMarketing', state: 'denied' }],
      }),
    );
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.retryable).toBe(false);
    expectNoPersonalValues(error);
  });

  it('emulates the write side as Shopify documents it: body shape, consent rules, delete and search', async () => {
    const emulator = await start();
    const call = (method: string, path: string, body?: string) =>
      fetch(`${emulator.baseUrl}/admin/api/2024-10/${path}`, {
        method,
        headers: {
          'X-Shopify-Access-Token': SHOP_TOKEN,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
      });

    const noWrapper = await call(
      'PUT',
      `customers/${YUI}.json`,
      JSON.stringify({ email_marketing_consent: { state: 'unsubscribed' } }),
    );
    expect(noWrapper.status).toBe(400);
    expect(await noWrapper.json()).toEqual({ errors: { customer: 'Required parameter missing or invalid' } });
    const smsWithoutPhone = await call(
      'PUT',
      `customers/${KENJI}.json`,
      JSON.stringify({ customer: { sms_marketing_consent: { state: 'unsubscribed', opt_in_level: 'single_opt_in' } } }),
    );
    expect(smsWithoutPhone.status).toBe(422);
    const badState = await call(
      'PUT',
      `customers/${YUI}.json`,
      JSON.stringify({ customer: { email_marketing_consent: { state: 'maybe' } } }),
    );
    expect(badState.status).toBe(422);
    expect(consentOf(emulator, YUI).email).toBe('subscribed');

    const withOrders = await call('DELETE', `customers/${KENJI}.json`);
    expect(withOrders.status).toBe(422);
    expect(((await withOrders.json()) as { errors: { base: string[] } }).errors.base).toHaveLength(1);
    expect((await call('DELETE', `customers/${NO_PHONE}.json`)).status).toBe(200);
    const gone = await call('DELETE', `customers/${NO_PHONE}.json`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ errors: 'Not Found' });

    const search = await call(
      'GET',
      `customers/search.json?query=${encodeURIComponent('email:kenji@example.com')}&fields=id`,
    );
    expect(await search.json()).toEqual({ customers: [{ id: KENJI }] });
    expect((await call('PUT', `customers/${YUI}.json`, '{"customer":')).status).toBe(400);
    expect(emulator.requests.every((r) => r.status !== 0)).toBe(true);
  });
});
