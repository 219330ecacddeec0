import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectorAuthError,
  ConnectorError,
  ConnectorRateLimited,
  ConnectorRequestError,
  ConnectorTransientError,
} from '../../connectors/errors';
import { KlaviyoClient } from '../../connectors/klaviyo/client';
import { KlaviyoCredentials, KlaviyoSettings, klaviyoSystem } from '../../connectors/klaviyo';
import { MetaAudiencesClient } from '../../connectors/meta-audiences/client';
import { hashedPayload, normaliseEmail, normalisePhone, sha256Hex } from '../../connectors/meta-audiences/mapping';
import { MetaAudiencesCredentials, MetaAudiencesSettings, metaAudiencesSystem } from '../../connectors/meta-audiences';
import type {
  ConnectedSystemSession,
  PersonIdentifiers,
  PrivacyContext,
  PrivacyOutcome,
} from '../../connectors/privacy';
import { KlaviyoEmulator, KlaviyoEmulatorOptions, startKlaviyoEmulator } from '../emulators/klaviyo';
import { MetaEmulator, MetaEmulatorOptions, startMetaEmulator } from '../emulators/meta';
import { eventually } from '../support/eventually';
import { allowEmulatorHosts } from '../emulators/hosts';

allowEmulatorHosts();

/**
 * The privacy connected systems against their emulators: Klaviyo (consent by suppression and SMS
 * unsubscription, asynchronous deletion, export) and Meta custom audiences (removal by hashed
 * identifiers), with each API's auth, throttling and failures. No Temporal: the sessions are called directly.
 */

const KEY = 'pk_meridian_privacy_test_key';
const TOKEN = 'EAAGmeridianPrivacyTestToken';
const LENA = { email: 'lena.gross@example.de', phone_number: '+49301234567', first_name: 'Lena', last_name: 'Groß' };
/** Lena as Meridian's region database holds her: the email as she typed it, the phone in E.164. */
const lena = (overrides: Partial<PersonIdentifiers> = {}): PersonIdentifiers => ({
  customerId: 'cust-lena',
  emails: ['Lena.Gross@Example.DE'],
  phones: ['+49301234567'],
  platformIds: {},
  ...overrides,
});
const PERSONAL = [/lena/i, /gross/i, /groß/i, /example\.de/i, /@/, /30\s?1234567/, /49301234567/];

/** The evidence (or anything) as text holds none of Lena's personal values. */
function expectNothingPersonal(value: unknown): void {
  const text = JSON.stringify(value);
  for (const pattern of PERSONAL) expect(text, `found ${pattern}`).not.toMatch(pattern);
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe('Klaviyo connected system against the Klaviyo emulator', () => {
  let klaviyo: KlaviyoEmulator | undefined;

  afterEach(async () => {
    await klaviyo?.close();
    klaviyo = undefined;
  });

  async function start(options: Partial<KlaviyoEmulatorOptions> = {}): Promise<KlaviyoEmulator> {
    klaviyo = await startKlaviyoEmulator({ apiKey: KEY, ...options });
    return klaviyo;
  }

  function open(
    emulator: KlaviyoEmulator,
    context: Partial<PrivacyContext> = {},
    apiKey = KEY,
  ): ConnectedSystemSession {
    const settings = KlaviyoSettings.parse({ baseUrl: emulator.baseUrl });
    return klaviyoSystem.open(settings, KlaviyoCredentials.parse({ apiKey }), {
      idempotencyKey: 'req-7f3a:klaviyo',
      ...context,
    });
  }

  /** Asks checkJob until the job is done, as the workflow would (without waiting checkAfterMs). */
  async function settle(
    session: ConnectedSystemSession,
    outcome: PrivacyOutcome,
    timeoutMs = 10_000,
  ): Promise<PrivacyOutcome> {
    if (outcome.status !== 'submitted') return outcome;
    let last: PrivacyOutcome = outcome;
    await eventually(async () => {
      last = await session.checkJob!(outcome.jobId);
      expect(last.status).toBe('done');
    }, timeoutMs);
    return last;
  }

  const errorsSeen = (emulator: KlaviyoEmulator) => emulator.requests.filter((r) => r.status >= 400);

  it('declares what it supports', () => {
    expect(klaviyoSystem).toMatchObject({
      system: 'klaviyo',
      label: 'Klaviyo',
      purposes: ['emailMarketing', 'smsMarketing'],
    });
    expect([...klaviyoSystem.supports].sort()).toEqual(['applyConsent', 'erase', 'export', 'suppress']);
    expect(KlaviyoCredentials.safeParse({ apiKey: 'sk_not_private' }).success).toBe(false);
    expect(KlaviyoSettings.safeParse({ baseUrl: 'not a url' }).success).toBe(false);
  });

  it('applies an emailMarketing denial as a suppression and a grant as an unsuppression, leaving bounces alone', async () => {
    const emulator = await start();
    emulator.seedProfile({ ...LENA, subscribed: true });
    emulator.seedProfile({ email: 'bounced@example.com', subscribed: true, suppressions: ['HARD_BOUNCE'] });
    const session = open(emulator);

    const denied = await session.applyConsent!(lena(), { purposes: [{ purpose: 'emailMarketing', state: 'denied' }] });
    expect(denied.status).toBe('submitted');
    expectNothingPersonal(denied);
    expect(emulator.profile(LENA.email)?.suppressions).toEqual([]); // a job: not applied yet
    const done = await settle(session, denied);
    expect(done.evidence).toMatchObject({ [`suppressionJob.${denied.evidence.suppressionJobId}`]: 'complete' });
    expect(emulator.profile(LENA.email)?.suppressions).toEqual(['USER_SUPPRESSED']);

    // Denying again changes nothing: already suppressed.
    const again = await session.applyConsent!(lena(), { purposes: [{ purpose: 'emailMarketing', state: 'denied' }] });
    expect(again).toMatchObject({ status: 'done', evidence: { emailMarketing: 'denied: already suppressed' } });

    const granted = await session.applyConsent!(lena(), {
      purposes: [{ purpose: 'emailMarketing', state: 'granted' }],
    });
    expect(granted.status).toBe('submitted');
    await settle(session, granted);
    expect(emulator.profile(LENA.email)?.suppressions).toEqual([]);

    // Unsuppression lifts USER_SUPPRESSED only: a hard bounce stays suppressed.
    const bounced: PersonIdentifiers = {
      customerId: 'cust-b',
      emails: ['bounced@example.com'],
      phones: [],
      platformIds: {},
    };
    const noChange = await session.applyConsent!(bounced, {
      purposes: [{ purpose: 'emailMarketing', state: 'granted' }],
    });
    expect(noChange).toMatchObject({ status: 'done', evidence: { emailMarketing: 'granted: not suppressed' } });
    expect(emulator.profile('bounced@example.com')?.suppressions).toEqual(['HARD_BOUNCE']);
    expect(errorsSeen(emulator)).toEqual([]); // every body the client sent passed the emulator's strict validation
  });

  it('applies an smsMarketing denial as an SMS unsubscription and never subscribes on a grant', async () => {
    const emulator = await start();
    emulator.seedProfile({ ...LENA, subscribed: true, smsSubscribed: true });
    const session = open(emulator);

    const denied = await session.applyConsent!(lena({ emails: [] }), {
      purposes: [{ purpose: 'smsMarketing', state: 'denied' }],
    });
    expect(denied.status).toBe('submitted');
    expectNothingPersonal(denied);
    await settle(session, denied);
    expect(emulator.profile(LENA.email)).toMatchObject({ smsConsent: 'UNSUBSCRIBED', emailConsent: 'SUBSCRIBED' });

    const posts = () => emulator.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    const granted = await session.applyConsent!(lena(), { purposes: [{ purpose: 'smsMarketing', state: 'granted' }] });
    expect(granted.status).toBe('done');
    expect(posts()).toBe(before);
    expect(emulator.profile(LENA.email)?.smsConsent).toBe('UNSUBSCRIBED');
    expect(errorsSeen(emulator)).toEqual([]);
  });

  it('does not create a profile for a person Klaviyo does not know', async () => {
    const emulator = await start();
    const session = open(emulator);
    const outcome = await session.applyConsent!(lena(), { purposes: [{ purpose: 'emailMarketing', state: 'denied' }] });
    expect(outcome.status).toBe('not-found');
    expect(await session.suppress!(lena())).toMatchObject({ status: 'not-found' });
    expect(emulator.profileCount()).toBe(0);
    expect(emulator.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('suppresses reversibly as the first step of a deletion', async () => {
    const emulator = await start();
    emulator.seedProfile({ ...LENA, subscribed: true });
    const session = open(emulator);
    const outcome = await session.suppress!(lena());
    expect(outcome.status).toBe('submitted');
    await settle(session, outcome);
    expect(emulator.profile(LENA.email)).toMatchObject({
      suppressions: ['USER_SUPPRESSED'],
      emailConsent: 'SUBSCRIBED',
    });
  });

  it('erases asynchronously: submitted, not done before the deletion ran, done after; erasing again is safe', async () => {
    const emulator = await start({ deletionDelayMs: 1500 });
    const id = emulator.seedProfile({ ...LENA, subscribed: true });
    const session = open(emulator);

    const submittedAt = Date.now();
    const first = await session.erase!(lena());
    expect(first.status).toBe('submitted');
    if (first.status !== 'submitted') return;
    expect(first.jobId).toMatch(/^klaviyo:[0-9a-f]{16}:del\./);
    expect(first.evidence.profileIds).toBe(id);
    expectNothingPersonal(first);

    const early = await session.checkJob!(first.jobId);
    expect(early.status).toBe('submitted');
    expect(emulator.profile(LENA.email)?.deletionPending).toBe(true);

    // A retry while the deletion is pending: no error, the same job ID (derived from the idempotency key).
    const retried = await session.erase!(lena());
    expect(retried).toMatchObject({ status: 'submitted', jobId: first.jobId });
    // Another request's key gives another job ID.
    const other = await open(emulator, { idempotencyKey: 'req-other:klaviyo' }).erase!(lena());
    expect(other.status === 'submitted' && other.jobId).not.toBe(first.jobId);

    const done = await settle(session, first);
    expect(Date.now() - submittedAt).toBeGreaterThanOrEqual(1400);
    expect(done.evidence[`profile.${id}`]).toBe('deleted');
    expect(emulator.profile(LENA.email)).toBeUndefined();

    // Once gone: not-found, and still no error.
    expect(await session.erase!(lena())).toMatchObject({ status: 'not-found' });
    expect(errorsSeen(emulator).filter((r) => r.path !== `/api/profiles/${id}`)).toEqual([]); // only the 404s of the verification
  });

  it('exports the profile with its subscriptions, with nothing personal in the evidence or the requests log', async () => {
    const emulator = await start();
    emulator.seedProfile({ ...LENA, subscribed: true, properties: { favourite_colour: 'green' } });
    const session = open(emulator);

    const { outcome, data } = await session.export!(lena());
    expect(outcome.status).toBe('done');
    const profiles = (data as { profiles: { id: string; attributes: Record<string, unknown> }[] }).profiles;
    expect(profiles).toHaveLength(1); // found by email and by phone: one profile, once
    expect(profiles[0]!.attributes).toMatchObject({
      email: LENA.email,
      phone_number: LENA.phone_number,
      first_name: 'Lena',
      properties: { favourite_colour: 'green' },
      subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } },
    });
    expectNothingPersonal(outcome.evidence);
    expectNothingPersonal(emulator.requests);

    const unknown = await session.export!({
      customerId: 'c-x',
      emails: ['nobody@example.com'],
      phones: [],
      platformIds: {},
    });
    expect(unknown.outcome.status).toBe('not-found');
  });

  it('refuses a bad or revoked key with a non-retryable, actionable ConnectorAuthError', async () => {
    const emulator = await start();
    emulator.seedProfile(LENA);
    const wrong = await failure(open(emulator, {}, 'pk_wrong_key').export!(lena()));
    expect(wrong).toBeInstanceOf(ConnectorAuthError);
    expect(wrong.retryable).toBe(false);
    expect(wrong.message).toMatch(/private API key/);
    expect(wrong.message).toMatch(/reconnect Klaviyo in Meridian/);
    expect(wrong.message).toMatch(/not_authenticated/);
    expect(wrong.message).not.toContain('pk_wrong_key');
    expectNothingPersonal(wrong.message);

    emulator.revokeKey();
    expect(await failure(open(emulator).erase!(lena()))).toBeInstanceOf(ConnectorAuthError);
  });

  it('names the missing scope when the key may not delete (403)', async () => {
    const emulator = await start({
      scopes: ['profiles:read', 'profiles:write', 'subscriptions:read', 'subscriptions:write'],
    });
    emulator.seedProfile(LENA);
    const error = await failure(open(emulator).erase!(lena()));
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/data-privacy:write/);
    expect(error.message).toMatch(/permission_denied/);
  });

  it('waits out a 429 for its Retry-After inside the client, heartbeating around each wait', async () => {
    const emulator = await start();
    emulator.seedProfile(LENA);
    emulator.failNext(2, 429, { retryAfterSeconds: 2 });
    const sleeps: number[] = [];
    let heartbeats = 0;
    const session = open(emulator, { sleep: async (ms) => void sleeps.push(ms), heartbeat: () => void heartbeats++ });
    const { outcome } = await session.export!(lena());
    expect(outcome.status).toBe('done');
    expect(sleeps).toEqual([2000, 2000]);
    expect(heartbeats).toBeGreaterThanOrEqual(4);
  });

  it("keeps under Klaviyo's real per-second limit by waiting, with the real clock", async () => {
    const emulator = await start({ rateLimit: { burstPerSecond: 2, steadyPerMinute: 100 } });
    emulator.seedProfile(LENA);
    let heartbeats = 0;
    const session = open(emulator, { heartbeat: () => void heartbeats++ });
    // Four emails and a phone: five lookups in a row, more than two one-second windows admit.
    const { outcome } = await session.export!(
      lena({ emails: ['Lena.Gross@Example.DE', 'lena@example.org', 'l.gross@example.net', 'lg@example.com'] }),
    );
    expect(outcome.status).toBe('done');
    expect(emulator.requests.some((r) => r.status === 429)).toBe(true);
    expect(heartbeats).toBeGreaterThanOrEqual(2);
  });

  it('surfaces throttling as ConnectorRateLimited once the waits are used up, or when the wait is too long', async () => {
    const emulator = await start();
    emulator.failNext(1, 429, { retryAfterSeconds: 3 });
    const noWaits = new KlaviyoClient({ baseUrl: emulator.baseUrl, apiKey: KEY, maxRateLimitWaits: 0 });
    const error = await failure(noWaits.findProfiles({ email: LENA.email }));
    expect(error).toBeInstanceOf(ConnectorRateLimited);
    expect((error as ConnectorRateLimited).retryAfterMs).toBe(3000);
    expect(error.retryable).toBe(true);

    emulator.failNext(1, 429, { retryAfterSeconds: 120 });
    const sleeps: number[] = [];
    const client = new KlaviyoClient({
      baseUrl: emulator.baseUrl,
      apiKey: KEY,
      sleep: async (ms) => void sleeps.push(ms),
    });
    const long = await failure(client.findProfiles({ email: LENA.email }));
    expect((long as ConnectorRateLimited).retryAfterMs).toBe(120_000);
    expect(sleeps).toEqual([]);
  });

  it('classifies 5xx, garbage and timeouts as transient', async () => {
    const emulator = await start();
    const client = new KlaviyoClient({ baseUrl: emulator.baseUrl, apiKey: KEY, timeoutMs: 300 });
    emulator.failNext(1, 503);
    expect(await failure(client.findProfiles({ email: LENA.email }))).toBeInstanceOf(ConnectorTransientError);
    emulator.failNext(1, 'garbage');
    expect(await failure(client.findProfiles({ email: LENA.email }))).toBeInstanceOf(ConnectorTransientError);
    emulator.failNext(1, 'timeout', { closeAfterMs: 2000 });
    const timeout = await failure(client.findProfiles({ email: LENA.email }));
    expect(timeout).toBeInstanceOf(ConnectorTransientError);
    expect(timeout.message).toMatch(/did not answer within 300 ms/);
    expectNothingPersonal(timeout.message);
  });

  it('refuses malformed JSON:API bodies with 400 invalid and a source pointer, never echoing a value', async () => {
    const emulator = await start({ rateLimit: false }); // many deletion calls: more than its S tier (3/s) admits
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${emulator.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Klaviyo-API-Key ${KEY}`,
          revision: '2024-10-15',
          'Content-Type': 'application/vnd.api+json',
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      expect(text).not.toContain(LENA.email);
      return {
        status: response.status,
        errors: (JSON.parse(text) as { errors: { code: string; source: { pointer?: string; parameter?: string } }[] })
          .errors,
      };
    };
    const profile = { type: 'profile', attributes: { email: LENA.email } };

    const wrongType = await post('/api/profile-suppression-bulk-create-jobs', {
      data: { type: 'profile-suppression-bulk-create-jobs', attributes: { profiles: { data: [profile] } } },
    });
    expect(wrongType).toMatchObject({ status: 400, errors: [{ code: 'invalid', source: { pointer: '/data/type' } }] });

    const unknownField = await post('/api/profile-suppression-bulk-create-jobs', {
      data: {
        type: 'profile-suppression-bulk-create-job',
        attributes: { profiles: { data: [{ type: 'profile', attributes: { emails: [LENA.email] } }] } },
      },
    });
    expect(unknownField).toMatchObject({
      status: 400,
      errors: [{ code: 'invalid', source: { pointer: '/data/attributes/profiles/data/0/attributes/emails' } }],
    });

    const flat = await post('/api/profile-suppression-bulk-create-jobs', {
      data: { type: 'profile-suppression-bulk-create-job', attributes: { emails: [LENA.email] } },
    });
    expect(flat.status).toBe(400);

    const badEmail = await post('/api/profile-suppression-bulk-delete-jobs', {
      data: {
        type: 'profile-suppression-bulk-delete-job',
        attributes: { profiles: { data: [{ type: 'profile', attributes: { email: 'lena.gross at example.de' } }] } },
      },
    });
    expect(badEmail).toMatchObject({
      status: 400,
      errors: [{ source: { pointer: '/data/attributes/profiles/data/0/attributes/email' } }],
    });

    const twoIdentifiers = await post('/api/data-privacy-deletion-jobs', {
      data: {
        type: 'data-privacy-deletion-job',
        attributes: { profile: { data: { type: 'profile', id: '01JABC', attributes: { email: LENA.email } } } },
      },
    });
    expect(twoIdentifiers).toMatchObject({
      status: 400,
      errors: [{ code: 'invalid', source: { pointer: '/data/attributes/profile/data' } }],
    });

    const noAttributes = await post('/api/data-privacy-deletion-jobs', {
      data: { type: 'data-privacy-deletion-job', attributes: { profile: { data: { type: 'profile', id: '01JABC' } } } },
    });
    expect(noAttributes).toMatchObject({
      status: 400,
      errors: [{ source: { pointer: '/data/attributes/profile/data/attributes' } }],
    });

    expect(await post('/api/data-privacy-deletion-jobs', '{"data": {')).toMatchObject({ status: 400 });
    expect(await post('/api/data-privacy-deletion-jobs', { data: {} }, { revision: '' })).toMatchObject({
      status: 400,
      errors: [{ source: { parameter: 'revision' } }],
    });
    expect(emulator.profileCount()).toBe(0);
  });
});

describe('Meta custom audiences connected system against the Marketing API emulator', () => {
  let meta: MetaEmulator | undefined;

  afterEach(async () => {
    await meta?.close();
    meta = undefined;
  });

  const AUDIENCE_A = '23850000000000001';
  const AUDIENCE_B = '23850000000000002';
  const NOT_CONFIGURED = '23850000000000003';
  // Computed independently (printf 'lena.gross@example.de' | sha256sum; printf '49301234567' | sha256sum).
  const LENA_EMAIL_SHA256 = '4e56d52727552ad90317f90aade7d0c328ea53fabdcb80d7df8a226220751672';
  const LENA_PHONE_SHA256 = '2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce';

  async function start(options: Partial<MetaEmulatorOptions> = {}): Promise<MetaEmulator> {
    meta = await startMetaEmulator({ accessToken: TOKEN, adAccountId: '1234567890', ...options });
    return meta;
  }

  function open(
    emulator: MetaEmulator,
    settings: Partial<MetaAudiencesSettings> = {},
    accessToken = TOKEN,
    context: Partial<PrivacyContext> = {},
  ): ConnectedSystemSession {
    const parsed = MetaAudiencesSettings.parse({
      baseUrl: emulator.baseUrl,
      adAccountId: 'act_1234567890',
      audienceIds: [AUDIENCE_A, AUDIENCE_B],
      ...settings,
    });
    return metaAudiencesSystem.open(parsed, MetaAudiencesCredentials.parse({ accessToken }), {
      idempotencyKey: 'req-7f3a:meta_audiences',
      ...context,
    });
  }

  /** Lena as Meridian might hold her, untidy: spaces and capitals in the email, spaces in the phone. */
  const untidyLena = (): PersonIdentifiers => ({
    customerId: 'cust-lena',
    emails: [' Lena.Gross@Example.DE '],
    phones: ['+49 30 1234567'],
    platformIds: {},
  });

  function seed(emulator: MetaEmulator): void {
    emulator.createAudience(AUDIENCE_A, [
      { email: 'lena.gross@example.de', phone: '+49301234567' },
      { email: 'someone.else@example.com' },
    ]);
    emulator.createAudience(AUDIENCE_B, [{ phone: '0049 30 1234567' }, { phone: '+81 90 1234 5678' }]);
    emulator.createAudience(NOT_CONFIGURED, [{ email: 'LENA.GROSS@EXAMPLE.DE' }]);
  }

  it('normalises and hashes as Meta documents, matching SHA-256 values computed outside the code', () => {
    expect(normaliseEmail(' Lena.Gross@Example.DE ')).toBe('lena.gross@example.de');
    expect(normalisePhone('+49 30 1234567')).toBe('49301234567');
    expect(normalisePhone('0049 (30) 123-4567')).toBe('49301234567');
    expect(sha256Hex(normaliseEmail(' Lena.Gross@Example.DE '))).toBe(LENA_EMAIL_SHA256);
    expect(sha256Hex(normalisePhone('+49 30 1234567'))).toBe(LENA_PHONE_SHA256);
    expect(createHash('sha256').update('lena.gross@example.de').digest('hex')).toBe(LENA_EMAIL_SHA256);

    const other = sha256Hex('lena@example.org');
    expect(
      hashedPayload([' Lena.Gross@Example.DE ', 'lena.gross@example.de', 'lena@example.org'], ['+49 30 1234567']),
    ).toEqual({
      schema: ['EMAIL_SHA256', 'PHONE_SHA256'],
      data: [
        [LENA_EMAIL_SHA256, LENA_PHONE_SHA256],
        [other, ''],
      ],
    });
    expect(hashedPayload([], ['+49301234567'])).toEqual({ schema: ['PHONE_SHA256'], data: [[LENA_PHONE_SHA256]] });
    expect(hashedPayload(['  '], [''])).toBeUndefined();
  });

  it('declares what it supports and validates its settings', () => {
    expect(metaAudiencesSystem).toMatchObject({
      system: 'meta_audiences',
      label: 'Meta custom audiences',
      purposes: ['personalisedAds'],
    });
    expect([...metaAudiencesSystem.supports].sort()).toEqual(['applyConsent', 'erase']);
    expect(MetaAudiencesSettings.safeParse({ adAccountId: 'act_1', audienceIds: [] }).success).toBe(false);
    expect(MetaAudiencesSettings.safeParse({ adAccountId: 'my account', audienceIds: ['1'] }).success).toBe(false);
  });

  it("erases by removing the person's hashes from every configured audience, and only those", async () => {
    const emulator = await start();
    seed(emulator);
    expect(emulator.members(AUDIENCE_A)).toContain(LENA_EMAIL_SHA256);
    expect(emulator.members(AUDIENCE_B)).toContain(LENA_PHONE_SHA256);
    let heartbeats = 0;
    const session = open(emulator, {}, TOKEN, { heartbeat: () => void heartbeats++ });

    const outcome = await session.erase!(untidyLena());
    expect(outcome.status).toBe('done');
    for (const audience of [AUDIENCE_A, AUDIENCE_B]) {
      expect(emulator.members(audience)).not.toContain(LENA_EMAIL_SHA256);
      expect(emulator.members(audience)).not.toContain(LENA_PHONE_SHA256);
      expect(outcome.evidence[`audience.${audience}.session_id`]).toMatch(/^\d{19}$/); // Meta's int64, every digit kept
      expect(outcome.evidence[`audience.${audience}.num_invalid_entries`]).toBe('0');
    }
    expect(emulator.memberCount(AUDIENCE_A)).toBe(1);
    expect(emulator.memberCount(AUDIENCE_B)).toBe(1);
    expect(emulator.members(NOT_CONFIGURED)).toContain(LENA_EMAIL_SHA256);
    expect(heartbeats).toBe(2);

    expectNothingPersonal(outcome);
    const evidence = JSON.stringify(outcome.evidence);
    expect(evidence).not.toContain(LENA_EMAIL_SHA256);
    expect(evidence).not.toContain(LENA_PHONE_SHA256);
    expect(emulator.requests.map((r) => [r.method, r.path, r.tokenIn, r.status])).toEqual([
      ['DELETE', `/v21.0/${AUDIENCE_A}/users`, 'header', 200],
      ['DELETE', `/v21.0/${AUDIENCE_B}/users`, 'header', 200],
    ]);

    // Erasing again is harmless: nothing left to remove, still done.
    expect((await session.erase!(untidyLena())).status).toBe('done');
    expect(await session.erase!({ customerId: 'c-x', emails: [], phones: [], platformIds: {} })).toMatchObject({
      status: 'not-found',
    });
  });

  it('removes on a personalisedAds denial and does nothing on a grant', async () => {
    const emulator = await start();
    seed(emulator);
    const session = open(emulator);

    const granted = await session.applyConsent!(untidyLena(), {
      purposes: [{ purpose: 'personalisedAds', state: 'granted' }],
    });
    expect(granted).toMatchObject({ status: 'done', evidence: { action: 'none' } });
    const other = await session.applyConsent!(untidyLena(), {
      purposes: [{ purpose: 'emailMarketing', state: 'denied' }],
    });
    expect(other).toMatchObject({ status: 'done', evidence: { action: 'none' } });
    expect(emulator.requests).toEqual([]);

    const denied = await session.applyConsent!(untidyLena(), {
      purposes: [
        { purpose: 'emailMarketing', state: 'granted' },
        { purpose: 'personalisedAds', state: 'denied' },
      ],
    });
    expect(denied.status).toBe('done');
    expect(emulator.members(AUDIENCE_A)).not.toContain(LENA_EMAIL_SHA256);
    expect(emulator.members(AUDIENCE_B)).not.toContain(LENA_PHONE_SHA256);
    expectNothingPersonal(denied);
  });

  it('turns code 190 into a ConnectorAuthError that says to reconnect the Meta ad account', async () => {
    const emulator = await start();
    seed(emulator);
    const wrong = await failure(open(emulator, {}, 'EAAGwrongToken').erase!(untidyLena()));
    expect(wrong).toBeInstanceOf(ConnectorAuthError);
    expect(wrong.retryable).toBe(false);
    expect(wrong.message).toMatch(/reconnect the Meta ad account/);
    expect(wrong.message).toMatch(/#190/);
    expect(wrong.message).not.toContain('EAAGwrongToken');

    emulator.revokeToken();
    const revoked = await failure(open(emulator).erase!(untidyLena()));
    expect(revoked).toBeInstanceOf(ConnectorAuthError);
    expect(revoked.message).toMatch(/reconnect the Meta ad account/);
    expect(revoked.message).toMatch(/#190\/460/);
    expect(emulator.members(AUDIENCE_A)).toContain(LENA_EMAIL_SHA256);
  });

  it('turns rate limit codes into ConnectorRateLimited, waiting what x-business-use-case-usage says or the default', async () => {
    const emulator = await start();
    seed(emulator);
    emulator.failNext(1, 'rate-limit'); // code 17, no estimate
    const plain = await failure(open(emulator).erase!(untidyLena()));
    expect(plain).toBeInstanceOf(ConnectorRateLimited);
    expect(plain.retryable).toBe(true);
    expect((plain as ConnectorRateLimited).retryAfterMs).toBe(60_000);
    expect(plain.message).toMatch(/#17/);

    emulator.failNext(1, 'rate-limit', { code: 17, regainMinutes: 3 });
    expect(((await failure(open(emulator).erase!(untidyLena()))) as ConnectorRateLimited).retryAfterMs).toBe(180_000);

    emulator.failNext(1, 'rate-limit', { code: 613 });
    expect(
      ((await failure(open(emulator, { rateLimitWaitSeconds: 30 }).erase!(untidyLena()))) as ConnectorRateLimited)
        .retryAfterMs,
    ).toBe(30_000);
    expect(emulator.members(AUDIENCE_A)).toContain(LENA_EMAIL_SHA256);
  });

  it('throttles the ad account past its call budget with code 80004', async () => {
    const emulator = await start({ rateLimit: { calls: 1, regainMinutes: 5 } });
    seed(emulator);
    const error = await failure(open(emulator).erase!(untidyLena())); // the second audience is one call too many
    expect(error).toBeInstanceOf(ConnectorRateLimited);
    expect(error.message).toMatch(/#80004\/2446079/);
    expect((error as ConnectorRateLimited).retryAfterMs).toBe(300_000);
    expect(emulator.members(AUDIENCE_A)).not.toContain(LENA_EMAIL_SHA256);
    expect(emulator.members(AUDIENCE_B)).toContain(LENA_PHONE_SHA256);
  });

  it('classifies server errors, garbage and timeouts as transient, and an unknown audience as a refused request', async () => {
    const emulator = await start();
    seed(emulator);
    emulator.failNext(1, 500);
    expect(await failure(open(emulator).erase!(untidyLena()))).toBeInstanceOf(ConnectorTransientError);
    emulator.failNext(1, 'garbage');
    expect(await failure(open(emulator).erase!(untidyLena()))).toBeInstanceOf(ConnectorTransientError);
    emulator.failNext(1, 'timeout', { closeAfterMs: 2000 });
    const client = new MetaAudiencesClient({
      baseUrl: emulator.baseUrl,
      accessToken: TOKEN,
      adAccountId: 'act_1234567890',
      timeoutMs: 300,
    });
    expect(await failure(client.removeUsers(AUDIENCE_A, hashedPayload(['lena.gross@example.de'], [])!))).toBeInstanceOf(
      ConnectorTransientError,
    );

    const unknown = await failure(open(emulator, { audienceIds: ['999'] }).erase!(untidyLena()));
    expect(unknown).toBeInstanceOf(ConnectorRequestError);
    expect(unknown.message).toMatch(/#100\/33/);
    expect(unknown.message).toMatch(/999/);
  });

  it('refuses malformed payloads, and counts unhashed values as invalid entries that the client never reports as done', async () => {
    const emulator = await start();
    seed(emulator);
    const remove = async (body: unknown) => {
      const response = await fetch(`${emulator.baseUrl}/v21.0/${AUDIENCE_A}/users`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.headers.get('x-business-use-case-usage')).toMatch(/estimated_time_to_regain_access/);
      expect(response.headers.get('x-app-usage')).toMatch(/call_count/);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const mismatch = await remove({
      payload: { schema: ['EMAIL_SHA256', 'PHONE_SHA256'], data: [[LENA_EMAIL_SHA256]] },
    });
    expect(mismatch).toMatchObject({ status: 400, body: { error: { code: 100, type: 'OAuthException' } } });
    expect((await remove({ payload: { schema: ['EMAIL_SHA256'], data: [] } })).status).toBe(400);
    expect((await remove({ payload: { schema: ['E_MAIL'], data: [[LENA_EMAIL_SHA256]] } })).status).toBe(400);
    expect((await remove({})).status).toBe(400);

    const raw = await remove({ payload: { schema: ['EMAIL_SHA256'], data: [['lena.gross@example.de']] } });
    expect(raw).toMatchObject({ status: 200, body: { num_received: 1, num_invalid_entries: 1 } });
    expect(JSON.stringify(raw.body)).not.toContain('lena');
    expect(emulator.members(AUDIENCE_A)).toContain(LENA_EMAIL_SHA256);

    // A client sending such a payload would be told, and never claim the removal.
    const client = new MetaAudiencesClient({
      baseUrl: emulator.baseUrl,
      accessToken: TOKEN,
      adAccountId: '1234567890',
    });
    const error = await failure(
      client.removeUsers(AUDIENCE_A, { schema: ['EMAIL_SHA256'], data: [[LENA_EMAIL_SHA256.toUpperCase()]] }),
    );
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error.message).toMatch(/1 of 1 entries as invalid/);
  });
});
