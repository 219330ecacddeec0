import { createHash } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConnectorAuthError, ConnectorRateLimited, ConnectorRequestError } from '../../connectors/errors';
import { GoogleCustomerMatchClient } from '../../connectors/google-customer-match';
import { TikTokAudiencesClient } from '../../connectors/tiktok-audiences';
import { hashForPlatform, type HashedPerson, platformBatches } from '../../domain/ad-audiences';
import { type GoogleAdsEmulator, hashGoogleEmail, startGoogleAdsEmulator } from '../emulators/google-ads';
import { allowEmulatorHosts } from '../emulators/hosts';
import { type MetaEmulator, startMetaEmulator } from '../emulators/meta';
import { startTikTokEmulator, type TikTokEmulator } from '../emulators/tiktok';
import { createTestDeployment, type TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { bearerCaller } from '../support/admin-api';
import { decodedHistory } from '../support/history';
import { type IngestionHarness, startIngestion } from '../support/ingestion';

allowEmulatorHosts();

/**
 * Ad audiences (issue 12, 跨境再营销) end to end on real PostgreSQL and Temporal: a retargeting
 * segment ("viewed a product, no purchase in 7 days") kept in step with a Meta custom audience and a
 * TikTok audience by the region's sync workflow, consented people only; and the Google Customer Match
 * and TikTok clients against their emulators' limits and errors.
 */

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const EU_TOKEN = `eu-only-${'e'.repeat(24)}`;
const US_TOKEN = `us-only-${'u'.repeat(24)}`;
const RETARGETING = { type: 'didNot', did: { name: 'Product Viewed' }, didNot: { purchase: true }, withinDays: 7 };

describe('ad audiences', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let meta: MetaEmulator;
  let tiktok: TikTokEmulator;
  let eu: { id: string; writeKey: string };
  let us: { id: string; writeKey: string };
  let audienceId: string;

  const as = bearerCaller(() => h.base);
  const ok = <T extends { status: number; body: unknown }>(res: T, status = 200): T => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res;
  };
  /** A person seen by the source, with an email, a phone and a country. */
  const person = async (
    source: { writeKey: string },
    userId: string,
    email: string,
    phone: string,
    country: string,
  ) => {
    ok(
      await h.send(source.writeKey, '/v1/identify', {
        userId,
        traits: { email, phone },
        context: { location: { country } },
      }),
    );
    const found = ok(await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: userId }));
    return found.body.customerId as string;
  };
  const consent = async (customerId: string, country: string, state: 'granted' | 'withdrawn') =>
    ok(
      await h.admin('PUT', `/admin/profiles/${customerId}/consent`, {
        country,
        records: [{ purpose: 'personalisedAds', state, proof: { kind: 'form', reference: `ads-${state}` } }],
      }),
    );
  const track = async (source: { writeKey: string }, userId: string, event: string) =>
    ok(await h.send(source.writeKey, '/v1/track', { userId, event, properties: {} }));
  const uploaded = async (id: string) =>
    (await d.regional('eu').sql`select customer_id from ad_audience_members where audience_id = ${id}`).map(
      (r) => r.customer_id as string,
    );

  beforeAll(async () => {
    const allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('adaudiences', {
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${EU_TOKEN}:eu,${US_TOKEN}:us`,
    });
    await d.startWorkers(['global', 'eu', 'us']);
    h = await startIngestion(d);
    eu = await h.createSource('Berlin shop', 'eu');
    us = await h.createSource('Boston shop', 'us');
    meta = await startMetaEmulator({ accessToken: 'meta-ads-token', adAccountId: '5005' });
    meta.createAudience('900');
    tiktok = await startTikTokEmulator({ accessToken: 'tt-ads-token', advertiserId: '7001' });
    tiktok.createAudience('3300');
    ok(
      await h.admin('POST', '/admin/connectors', {
        id: 'eu_meta',
        system: 'meta_audiences',
        name: 'Meta EU',
        region: 'eu',
        settings: { baseUrl: meta.baseUrl, adAccountId: '5005', audienceIds: ['900'], rateLimitWaitSeconds: 1 },
        credentials: { accessToken: 'meta-ads-token' },
      }),
      201,
    );
    ok(
      await h.admin('POST', '/admin/connectors', {
        id: 'us_tiktok',
        system: 'tiktok_audiences',
        name: 'TikTok US',
        region: 'us',
        settings: { baseUrl: tiktok.baseUrl, advertiserId: '7001', audienceIds: ['3300'], rateLimitWaitSeconds: 1 },
        credentials: { accessToken: 'tt-ads-token' },
      }),
      201,
    );
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
    await meta?.close();
    await tiktok?.close();
  });

  it('the admin API checks the connector, segment and audience, and keeps region-scoped tokens in their region', async () => {
    const segment = ok(
      await h.admin('POST', '/admin/segments', {
        name: 'EU viewers, no purchase',
        owner: 'eu',
        definition: RETARGETING,
      }),
      201,
    ).body.segment;
    const body = {
      name: 'EU retargeting',
      segmentId: segment.id,
      connectorId: 'eu_meta',
      platformAudienceId: '900',
      pollSeconds: 1,
    };
    // A us token may not create an audience on an eu connector, nor see one.
    const refused = await as(US_TOKEN, 'POST', '/admin/ad-audiences', body);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/may not create ad audiences in region eu/);
    // Field-named 400s.
    expect(
      (await as(EU_TOKEN, 'POST', '/admin/ad-audiences', { ...body, platformAudienceId: '901' })).body.error,
    ).toMatch(/^platformAudienceId: 901 is not among the connector's audiences \(900\)/);
    expect((await as(EU_TOKEN, 'POST', '/admin/ad-audiences', { ...body, segmentId: 'seg_nope' })).body.error).toMatch(
      /^segmentId: /,
    );
    expect(
      (await as(EU_TOKEN, 'POST', '/admin/ad-audiences', { ...body, platformAudienceId: 'abc' })).body.error,
    ).toMatch(/^platformAudienceId: .*digits only/);
    const created = ok(await as(EU_TOKEN, 'POST', '/admin/ad-audiences', body), 201).body;
    expect(created.audience).toMatchObject({ platform: 'meta', region: 'eu', platformAudienceId: '900' });
    expect(created.sync).toBe(`ad-audience-${created.audience.id}`);
    audienceId = created.audience.id;
    expect((await as(US_TOKEN, 'GET', `/admin/ad-audiences/${audienceId}`)).status).toBe(404);
    expect((await as(US_TOKEN, 'POST', `/admin/ad-audiences/${audienceId}/sync`, {})).status).toBe(404);
    expect((await as(US_TOKEN, 'GET', '/admin/ad-audiences')).body.audiences).toEqual([]);
    expect(ok(await as(EU_TOKEN, 'GET', '/admin/ad-audiences')).body.audiences.map((a: any) => a.id)).toEqual([
      audienceId,
    ]);
  });

  it('a retargeting audience gains a viewer who did not buy and loses her when she buys; no consent, never uploaded; a withdrawal removes', async () => {
    const anna = { email: 'Anna.Retarget@Example.de', phone: '+4917611112222' };
    const annaId = await person(eu, 'ads-anna', anna.email, anna.phone, 'DE');
    await consent(annaId, 'DE', 'granted');
    // Bruno views too, but gave no personalisedAds consent (opt-in under the GDPR): never uploaded.
    const brunoId = await person(eu, 'ads-bruno', 'bruno.noconsent@example.de', '+4917633334444', 'DE');
    const carla = { email: 'carla.withdraws@example.de', phone: '+4917655556666' };
    const carlaId = await person(eu, 'ads-carla', carla.email, carla.phone, 'DE');
    await consent(carlaId, 'DE', 'granted');

    for (const userId of ['ads-anna', 'ads-bruno', 'ads-carla']) await track(eu, userId, 'Product Viewed');
    const annaHashes = [sha('anna.retarget@example.de'), sha('4917611112222')];
    await eventually(async () => {
      const members = meta.members('900');
      for (const hash of [...annaHashes, sha(carla.email)]) expect(members).toContain(hash);
    }, 30_000);
    expect(meta.members('900')).not.toContain(sha('bruno.noconsent@example.de'));
    // The page is settled just after the platform answered.
    await eventually(async () => expect(await uploaded(audienceId)).toEqual(expect.arrayContaining([annaId, carlaId])));
    expect(await uploaded(audienceId)).not.toContain(brunoId);

    // She buys: she leaves the segment, and the audience.
    await track(eu, 'ads-anna', 'Order Completed');
    await eventually(async () => {
      const members = meta.members('900');
      for (const hash of annaHashes) expect(members).not.toContain(hash);
    }, 30_000);
    await eventually(async () => expect(await uploaded(audienceId)).not.toContain(annaId));

    // Carla withdraws personalisedAds while still in the segment: the sync removes her (its own bookkeeping
    // proves it was the sync, not only the consent propagation to the same Meta connection).
    await consent(carlaId, 'DE', 'withdrawn');
    await eventually(async () => expect(await uploaded(audienceId)).not.toContain(carlaId), 30_000);
    expect(meta.members('900')).not.toContain(sha(carla.email));
    // She is still in the segment: consent, not membership, took her out.
    expect(
      (
        await d.regional('eu').sql`
          select count(*)::int as n from segment_membership where customer_id = ${carlaId} and exited_at is null`
      )[0]!.n,
    ).toBe(1);
    expect(meta.members('900')).not.toContain(sha('bruno.noconsent@example.de'));

    // The history holds IDs and counts: no email, phone or hash of anyone.
    const history = await decodedHistory(
      d.client.workflow.getHandle(`ad-audience-${audienceId}`),
      d.config.payloadKeys,
    );
    expect(history).toContain(audienceId);
    for (const secret of [
      anna.email,
      anna.phone,
      carla.email,
      carla.phone,
      'bruno.noconsent',
      ...annaHashes,
      sha(carla.email),
    ])
      expect(history).not.toContain(secret.toLowerCase());
    expect(history).not.toMatch(/[0-9a-f]{64}/);
  }, 120_000);

  it('a throttled Meta (80003, 17) is waited out and the person still lands', async () => {
    const dana = await person(eu, 'ads-dana', 'dana.throttled@example.de', '+4917677778888', 'DE');
    await consent(dana, 'DE', 'granted');
    const before = meta.requests.length;
    meta.failNext(1, 'rate-limit', { code: 80003 });
    meta.failNext(1, 'rate-limit', { code: 17 });
    await track(eu, 'ads-dana', 'Product Viewed');
    await eventually(async () => expect(meta.members('900')).toContain(sha('dana.throttled@example.de')), 40_000);
    const statuses = meta.requests.slice(before).map((r) => r.status);
    expect(statuses.slice(0, 2)).toEqual([400, 400]);
    expect(statuses).toContain(200);
  }, 60_000);

  it('TikTok: the same segment in the us region reaches a TikTok audience, consented people only', async () => {
    const segment = ok(
      await h.admin('POST', '/admin/segments', {
        name: 'US viewers, no purchase',
        owner: 'us',
        definition: RETARGETING,
      }),
      201,
    ).body.segment;
    const created = ok(
      await as(US_TOKEN, 'POST', '/admin/ad-audiences', {
        name: 'US retargeting',
        segmentId: segment.id,
        connectorId: 'us_tiktok',
        platformAudienceId: '3300',
        pollSeconds: 1,
      }),
      201,
    ).body.audience;
    expect(created.platform).toBe('tiktok');
    const eve = await person(us, 'ads-eve', 'Eve.Viewer@Example.com', '+16505551212', 'US');
    await consent(eve, 'US', 'granted');
    const finn = await person(us, 'ads-finn', 'finn.optout@example.com', '+16505553434', 'US');
    await consent(finn, 'US', 'withdrawn');
    await track(us, 'ads-eve', 'Product Viewed');
    await track(us, 'ads-finn', 'Product Viewed');
    await eventually(async () => {
      expect(tiktok.members('3300')).toContain(sha('eve.viewer@example.com'));
      expect(tiktok.members('3300')).toContain(sha('+16505551212'));
    }, 30_000);
    expect(tiktok.members('3300')).not.toContain(sha('finn.optout@example.com'));
    await track(us, 'ads-eve', 'Order Completed');
    await eventually(async () => expect(tiktok.members('3300').size).toBe(0), 30_000);

    // A full re-sync reaches a member the outbox never announced (a row written behind its back).
    const gil = await person(us, 'ads-gil', 'gil.resync@example.com', '+16505557878', 'US');
    await consent(gil, 'US', 'granted');
    // Her consent change has been through the processor and the sync (as a candidate, not a member then).
    await eventually(async () => {
      const [left] = await d.regional('us').sql`
        select (select count(*)::int from audience_changes where customer_id = ${gil})
             + (select count(*)::int from ad_audience_candidates where customer_id = ${gil}) as n`;
      expect(left!.n).toBe(0);
    }, 30_000);
    await d.regional('us').sql`
      insert into segment_membership (segment_id, customer_id, version, entered_at) values (${segment.id}, ${gil}, 1, now())`;
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two idle passes: nothing noted her
    expect(tiktok.members('3300')).not.toContain(sha('gil.resync@example.com'));
    ok(await as(US_TOKEN, 'POST', `/admin/ad-audiences/${created.id}/sync`, { full: true }), 202);
    await eventually(async () => expect(tiktok.members('3300')).toContain(sha('gil.resync@example.com')), 30_000);
  }, 90_000);

  it("an email only a browser claimed is never uploaded (anyone can claim anyone's email with a public key)", async () => {
    const web = await h.createSource('Berlin web shop', 'eu', { kind: 'browser' });
    const ivy = await person(web, 'ads-ivy', 'ivy.claimed@example.de', '+4917612121212', 'DE');
    await consent(ivy, 'DE', 'granted');
    // She has the email and phone, as browser claims: a profile Meridian could open them for.
    const claims = await d.regional('eu').sql`
      select type, provenance from identities where customer_id = ${ivy} and type in ('email', 'phone') order by type`;
    expect(claims.map((c) => `${c.type}:${c.provenance}`)).toEqual(['email:browser', 'phone:browser']);
    await track(web, 'ads-ivy', 'Product Viewed');
    // The sync has read her entry and looked at her: its offset is past her move, and she is no candidate.
    await eventually(async () => {
      const [moved] = await d.regional('eu').sql`
        select max(id)::bigint as id from segment_membership_events where customer_id = ${ivy} and kind = 'entered'`;
      expect(moved!.id).not.toBeNull();
      const [offset] = await d.regional('eu').sql`
        select last_event_id from membership_consumers where consumer = ${`ad-audience:${audienceId}`}`;
      expect(BigInt(offset!.last_event_id)).toBeGreaterThanOrEqual(BigInt(moved!.id));
      const pending = await d.regional('eu').sql`select 1 from ad_audience_candidates where customer_id = ${ivy}`;
      expect(pending).toHaveLength(0);
    }, 30_000);
    expect(meta.members('900')).not.toContain(sha('ivy.claimed@example.de'));
    expect(meta.members('900')).not.toContain(sha('4917612121212'));
    expect(await uploaded(audienceId)).not.toContain(ivy);
  }, 60_000);

  it('a revoked Meta token stops the sync with "reconnect …", shown on the audience', async () => {
    meta.revokeToken();
    const gus = await person(eu, 'ads-gus', 'gus.revoked@example.de', '+4917699990000', 'DE');
    await consent(gus, 'DE', 'granted');
    await track(eu, 'ads-gus', 'Product Viewed');
    const failure = await d.client.workflow
      .getHandle(`ad-audience-${audienceId}`)
      .result()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = String(((failure as WorkflowFailedError).cause?.cause as Error | undefined)?.message);
    expect(message).toMatch(/reconnect the Meta ad account in Meridian/);
    expect(message).not.toContain('gus.revoked');
    const shown = ok(await h.admin('GET', `/admin/ad-audiences/${audienceId}`)).body.audience;
    expect(shown.lastError).toMatch(
      /^Meta rejected the access token for ad account act_5005 .*reconnect the Meta ad account/,
    );
    expect(await uploaded(audienceId)).not.toContain(gus);
  }, 90_000);
});

describe('Google Customer Match and TikTok: batches within limits, and their errors', () => {
  let google: GoogleAdsEmulator;
  let tiktok: TikTokEmulator;
  const fake = (n: number, perPerson: 1 | 2): HashedPerson[] =>
    Array.from({ length: n }, (_, i) => ({
      emails: [sha(`person${i}@example.com`)],
      phones: perPerson === 2 ? [sha(`+1555${String(i).padStart(7, '0')}`)] : [],
    }));
  beforeAll(async () => {
    google = await startGoogleAdsEmulator({
      accessToken: 'ya29.test',
      developerToken: 'dev-token',
      customerId: '1234567890',
    });
    google.createUserList('555');
    tiktok = await startTikTokEmulator({ accessToken: 'tt-batch', advertiserId: '7002' });
    tiktok.createAudience('4400');
  });
  afterAll(async () => {
    await google?.close();
    await tiktok?.close();
  });
  const googleClient = (token = 'ya29.test') =>
    new GoogleCustomerMatchClient({
      baseUrl: google.baseUrl,
      accessToken: token,
      developerToken: 'dev-token',
      customerId: '123-456-7890',
    });

  it('Google: 100,002 identifiers go as two addOperations requests (100,000 + 2) of one job, with consent, then run', async () => {
    const people = fake(50_001, 2);
    const job = await googleClient().changeMembers('555', 'create', platformBatches('google', people));
    expect(job.requests).toBe(2);
    expect(google.addOperationSizes).toEqual([100_000, 2]);
    expect(google.jobConsents).toEqual([{ adUserData: 'GRANTED', adPersonalization: 'GRANTED' }]);
    expect(google.members('555').size).toBe(100_002);
    // The gmail rule: dots before @ removed, as the emulator (written from Google's docs) hashes it.
    const jane = hashForPlatform('google', { emails: ['Jane.Doe@gmail.com'], phones: [] })!;
    await googleClient().changeMembers('555', 'create', [[jane]]);
    expect(google.members('555')).toContain(hashGoogleEmail('janedoe@gmail.com'));
    await googleClient().changeMembers('555', 'remove', [[jane]]);
    expect(google.members('555')).not.toContain(hashGoogleEmail('janedoe@gmail.com'));
  }, 60_000);

  it('Google refuses an oversize request and unhashed identifiers; the client refuses to send either', async () => {
    await expect(googleClient().changeMembers('555', 'create', [fake(50_001, 2)])).rejects.toThrow(RangeError);
    const create = await fetch(`${google.baseUrl}/v18/customers/1234567890/offlineUserDataJobs:create`, {
      method: 'POST',
      headers: { authorization: 'Bearer ya29.test', 'developer-token': 'dev-token' },
      body: JSON.stringify({
        job: {
          type: 'CUSTOMER_MATCH_USER_LIST',
          customerMatchUserListMetadata: {
            userList: 'customers/1234567890/userLists/555',
            consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
          },
        },
      }),
    });
    const { resourceName } = (await create.json()) as { resourceName: string };
    const add = async (operations: unknown[]) => {
      const res = await fetch(`${google.baseUrl}/v18/${resourceName}:addOperations`, {
        method: 'POST',
        headers: { authorization: 'Bearer ya29.test', 'developer-token': 'dev-token' },
        body: JSON.stringify({ operations }),
      });
      return { status: res.status, text: await res.text() };
    };
    const oversize = await add(
      fake(50_001, 2).map((p) => ({
        create: { userIdentifiers: [{ hashedEmail: p.emails[0] }, { hashedPhoneNumber: p.phones[0] }] },
      })),
    );
    expect(oversize.status).toBe(400);
    expect(oversize.text).toContain('TOO_MANY_USER_IDENTIFIERS');
    const unhashed = await add([{ create: { userIdentifiers: [{ hashedEmail: 'jane@example.com' }] } }]);
    expect(unhashed.status).toBe(400);
    expect(unhashed.text).toContain('INVALID_SHA256_FORMAT');
    // A job without the consent fields is refused.
    const noConsent = await fetch(`${google.baseUrl}/v18/customers/1234567890/offlineUserDataJobs:create`, {
      method: 'POST',
      headers: { authorization: 'Bearer ya29.test', 'developer-token': 'dev-token' },
      body: JSON.stringify({
        job: {
          type: 'CUSTOMER_MATCH_USER_LIST',
          customerMatchUserListMetadata: { userList: 'customers/1234567890/userLists/555' },
        },
      }),
    });
    expect(noConsent.status).toBe(400);
  }, 60_000);

  it('Google: RESOURCE_EXHAUSTED is a rate limit with its retryDelay; UNAUTHENTICATED says reconnect', async () => {
    const limited = await startGoogleAdsEmulator({
      accessToken: 'ya29.test',
      developerToken: 'dev-token',
      rateLimit: { calls: 1, windowMs: 60_000, retryDelaySeconds: 7 },
    });
    limited.createUserList('1');
    try {
      const client = new GoogleCustomerMatchClient({
        baseUrl: limited.baseUrl,
        accessToken: 'ya29.test',
        developerToken: 'dev-token',
        customerId: '1234567890',
      });
      const error = await client.changeMembers('1', 'create', [fake(1, 1)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorRateLimited);
      expect((error as ConnectorRateLimited).retryAfterMs).toBe(7000);
    } finally {
      await limited.close();
    }
    google.revokeToken();
    const revoked = await googleClient()
      .changeMembers('555', 'create', [fake(1, 1)])
      .catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(ConnectorAuthError);
    expect((revoked as Error).message).toMatch(/reconnect the Google Ads account in Meridian.*OAUTH_TOKEN_REVOKED/);
  });

  it('TikTok: 10,001 people go as two segment/mapping requests (10,000 + 1); unhashed ids, throttling and a revoked token are classified', async () => {
    const client = new TikTokAudiencesClient({
      baseUrl: tiktok.baseUrl,
      accessToken: 'tt-batch',
      advertiserId: '7002',
    });
    for (const batch of platformBatches('tiktok', fake(10_001, 1))) await client.changeMembers('4400', 'add', batch);
    expect(tiktok.batchSizes).toEqual([10_000, 1]);
    expect(tiktok.members('4400').size).toBe(10_001);
    await expect(client.changeMembers('4400', 'add', fake(10_001, 1))).rejects.toThrow(RangeError);
    const unhashed = await client
      .changeMembers('4400', 'add', [{ emails: ['jane@example.com'], phones: [] }])
      .catch((e: unknown) => e);
    expect(unhashed).toBeInstanceOf(ConnectorRequestError);
    expect((unhashed as Error).message).toMatch(/code 40002: .*SHA-256/);
    expect((unhashed as Error).message).not.toContain('jane@example.com');

    const limited = await startTikTokEmulator({
      accessToken: 't',
      advertiserId: '1',
      rateLimit: { calls: 1, windowMs: 60_000 },
    });
    limited.createAudience('1');
    try {
      const c = new TikTokAudiencesClient({
        baseUrl: limited.baseUrl,
        accessToken: 't',
        advertiserId: '1',
        rateLimitWaitMs: 3000,
      });
      await c.changeMembers('1', 'add', fake(1, 1));
      const throttled = await c.changeMembers('1', 'add', fake(1, 1)).catch((e: unknown) => e);
      expect(throttled).toBeInstanceOf(ConnectorRateLimited);
      expect((throttled as ConnectorRateLimited).retryAfterMs).toBe(3000);
    } finally {
      await limited.close();
    }
    tiktok.revokeToken();
    const revoked = await client.changeMembers('4400', 'delete', fake(1, 1)).catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(ConnectorAuthError);
    expect((revoked as Error).message).toMatch(/reconnect the TikTok advertiser account in Meridian/);
  }, 60_000);
});
