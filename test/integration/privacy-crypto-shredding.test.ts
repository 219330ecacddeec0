import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivacyActivities } from '../../activities/privacy/regional';
import { keyFromRef, open, type RegionKey } from '../../db/crypto-shredding';
import { exportContext, sweepExpiredAccessPackages } from '../../db/privacy-export-store';
import { existingRequestKey } from '../../db/privacy-request-keys-store';
import { createPrivacyRequest, requesterEmail, verifyPrivacyRequest } from '../../db/privacy-requests-store';
import { createPrivacySystemRows, setPrivacySystemStatus } from '../../db/privacy-saga-store';
import { RegionWriter } from '../../db/region-writer';
import { recordSyncRejections } from '../../db/sync-store';
import { DEFAULT_IDENTITY_RULES } from '../../domain/identity-rules';
import { ERASED_EVIDENCE } from '../../domain/privacy-evidence';
import { createTestDeployment, TestDeployment } from '../support/deployment';

/**
 * Issue 8, item 9 (crypto-shredding leaves plaintext behind) and item 12's saga part, on PostgreSQL
 * with the real privacy activities (run in a mock activity context): each test is named after what
 * survived an erasure or an expiry before the fix, and fails on that code.
 */

describe('crypto-shredding leaves nothing behind', () => {
  let d: TestDeployment;
  let regionKey: RegionKey;
  let writer: RegionWriter;
  let activities: ReturnType<typeof createPrivacyActivities>;
  const run = <I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> =>
    new MockActivityEnvironment({ attempt: 1 }).run<[I], O, (input: I) => Promise<O>>(fn, input);
  const sql = () => d.regional('eu').sql;

  beforeAll(async () => {
    d = await createTestDeployment('shred');
    // Connected before first use, as the servers do: array types (bytea[]) are known from the first query on.
    await Promise.all([sql()`select 1`, d.global().sql`select 1`]);
    regionKey = keyFromRef(d.config.regions.region('eu').keyRef, d.config.env);
    writer = new RegionWriter({
      region: 'eu',
      pool: d.regional('eu'),
      globalSql: d.global().sql,
      regionKey,
      hmacKey: d.config.identityHmacKey,
      rules: () => DEFAULT_IDENTITY_RULES,
    });
    activities = createPrivacyActivities({
      region: 'eu',
      sql: sql(),
      regionKey,
      globalSql: d.global().sql,
      forgetDataKeys: (ids) => writer.forgetKeys(ids),
    });
  }, 180_000);
  afterAll(async () => {
    await d?.close();
  });

  /** A person as a store sync would bring them: an email, a Shopify customer ID, a trait. */
  async function person(email: string, shopifyId: string): Promise<string> {
    const [outcome] = await writer.write([
      {
        sourceId: 'src_shop',
        call: {
          type: 'identify',
          messageId: randomUUID(),
          properties: {},
          traits: { email, firstName: 'Ada' },
          context: {
            externalIds: [{ id: shopifyId, type: 'shopify_customer', encoding: 'none', collection: 'users' }],
          },
          integrations: {},
          receivedAt: new Date(),
          timestamp: new Date(),
          warnings: [],
        },
      },
    ]);
    if (outcome?.status !== 'stored') throw new Error(`not stored: ${JSON.stringify(outcome)}`);
    return outcome.customerId;
  }

  async function request(type: 'access' | 'deletion', email: string, verified = true): Promise<string> {
    const created = await createPrivacyRequest(
      sql(),
      { regionKey, hmacKey: d.config.identityHmacKey, signingKeys: d.config.signingKeys },
      { type, email, country: 'DE', locale: 'en' },
    );
    if (verified)
      expect((await verifyPrivacyRequest(sql(), d.config.signingKeys, created.id, created.code)).result).toBe(
        'verified',
      );
    return created.id;
  }

  it('an access package copied before it expired (a backup) cannot be opened once it expires: its request key is destroyed', async () => {
    const customerId = await person('export.backup@example.de', '7001');
    const requestId = await request('access', 'export.backup@example.de');
    const built = await run(activities.buildExport, { requestId, customerId });
    expect(Date.parse(built.expiresAt)).toBeGreaterThan(Date.now());
    const [backup] = await sql()<
      { package_sealed: Buffer }[]
    >`select package_sealed from privacy_exports where request_id = ${requestId}`;
    // Not sealed with the region key: a copy of the table plus the region key is not enough.
    expect(() => open(regionKey, backup!.package_sealed, exportContext(requestId, customerId))).toThrow();

    expect(await run(activities.deleteExports, { requestId })).toEqual({ deleted: 1 });
    expect(await sql()`select 1 from privacy_exports where request_id = ${requestId}`).toHaveLength(0);
    expect(await existingRequestKey(sql(), regionKey, requestId)).toBeUndefined();
  });

  it("an access request answered before the saga cleaned up after itself: the worker's sweep deletes its expired packages and forgets the requester", async () => {
    const customerId = await person('old.answer@example.de', '7006');
    const requestId = await request('access', 'old.answer@example.de');
    await run(activities.buildExport, { requestId, customerId });
    // Answered more than EXPORT_DAYS ago, its package expired: as an access request of the code before.
    await sql()`update privacy_exports set expires_at = now() - interval '1 hour' where request_id = ${requestId}`;
    await sql()`update privacy_requests set status = 'completed', finished_at = now() - interval '8 days' where id = ${requestId}`;
    const swept = await sweepExpiredAccessPackages(sql());
    expect(swept.packages).toBeGreaterThanOrEqual(1);
    expect(await sql()`select 1 from privacy_exports where request_id = ${requestId}`).toHaveLength(0);
    expect(await existingRequestKey(sql(), regionKey, requestId)).toBeUndefined();
    expect(await requesterEmail(sql(), regionKey, requestId)).toBeUndefined();
  });

  it('an erasure set copied before the erasure ended cannot be opened afterwards: sealed with the request key, destroyed with the set', async () => {
    const customerId = await person('erasure.set@example.de', '7002');
    const requestId = await request('deletion', 'erasure.set@example.de');
    await run(activities.snapshotErasureSet, { requestId, customerId });
    const [backup] = await sql()<
      { identifiers_sealed: Buffer }[]
    >`select identifiers_sealed from privacy_erasure_sets where request_id = ${requestId}`;
    expect(() => open(regionKey, backup!.identifiers_sealed, `privacy-erasure:${requestId}:${customerId}`)).toThrow();
    const key = await existingRequestKey(sql(), regionKey, requestId);
    expect(open(key!, backup!.identifiers_sealed, `privacy-erasure:${requestId}:${customerId}`).toString()).toContain(
      'erasure.set@example.de',
    );

    await run(activities.destroyErasureSet, { requestId });
    expect(await existingRequestKey(sql(), regionKey, requestId)).toBeUndefined();
    expect(await sql()`select 1 from privacy_erasure_sets where request_id = ${requestId}`).toHaveLength(0);
  });

  it("an erased person's access package, sync rejections naming their vendor ID and cached data key do not survive the erasure", async () => {
    const customerId = await person('erased.person@example.de', '7003');
    const access = await request('access', 'erased.person@example.de');
    await run(activities.buildExport, { requestId: access, customerId });
    await recordSyncRejections(sql(), { syncId: 'sync-1', connectorId: 'shop', stream: 'customers', pageNo: 1 }, [
      { externalId: '7003', reason: 'email: not an email address' },
      { externalId: '9999', reason: 'email: not an email address' },
    ]);
    expect(writer.holdsKey(customerId)).toBe(true);

    const deletion = await request('deletion', 'erased.person@example.de');
    await run(activities.snapshotErasureSet, { requestId: deletion, customerId });
    const erased = await run(activities.eraseInMeridian, { requestId: deletion, customerId, heldScopes: [] });
    expect(erased.status).toBe('done');

    expect(await sql()`select 1 from privacy_exports where customer_id = ${customerId}`).toHaveLength(0);
    expect(await existingRequestKey(sql(), regionKey, access)).toBeUndefined();
    expect(
      (await sql()<{ external_id: string }[]>`select external_id from sync_rejections where sync_id = 'sync-1'`).map(
        (r) => r.external_id,
      ),
    ).toEqual(['9999']);
    // The worker that erased forgets the unwrapped key at once (other processes within DATA_KEY_TTL_MS).
    expect(writer.holdsKey(customerId)).toBe(false);
    const verified = await run(activities.verifyErasure, { requestId: deletion, customerId });
    expect(verified.verified).toBe(true);
  });

  it('a row left in any table naming the erased person fails the read-back (every table with a customer_id is scanned)', async () => {
    const customerId = await person('left.behind@example.de', '7004');
    const requestId = await request('deletion', 'left.behind@example.de');
    await run(activities.eraseInMeridian, { requestId, customerId, heldScopes: [] });
    // A consent change recorded for them by a process that raced the erasure.
    await sql()`insert into consent_propagations (id, customer_id, changes, status) values ('cp_00000000000000aa', ${customerId}, '[]'::jsonb, 'pending')`;
    const check = await run(activities.verifyErasure, { requestId, customerId });
    expect(check.verified).toBe(false);
    expect(check.evidence.tablesWithRowsLeft).toBe('consent_propagations:1');
  });

  it("vendor evidence naming the person's record at the vendor does not survive the erasure's end", async () => {
    const requestId = await request('deletion', 'vendor.evidence@example.de');
    await createPrivacySystemRows(sql(), { requestId, region: 'eu', operation: 'erase' }, [
      { connectorId: 'klaviyo-1', system: 'klaviyo', status: 'pending' },
    ]);
    await setPrivacySystemStatus(
      sql(),
      { requestId, region: 'eu', connectorId: 'klaviyo-1', operation: 'erase' },
      'done',
      { evidence: { profiles: '1', profileIds: '01HPROFILE', requestedAt: '2026-01-01T00:00:00.000Z' } },
    );
    await run(activities.destroyErasureSet, { requestId });
    const [row] = await sql()<
      { evidence: Record<string, string> }[]
    >`select evidence from privacy_request_systems where request_id = ${requestId}`;
    expect(row!.evidence).toEqual({
      profiles: '1',
      profileIds: ERASED_EVIDENCE,
      requestedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('a saga started for a request that was never verified finds nobody to act on', async () => {
    await person('never.verified@example.de', '7005');
    const requestId = await request('deletion', 'never.verified@example.de', false);
    const resolved = await run(activities.resolvePrivacyRequest, { requestId });
    expect(resolved.verified).toBe(false);
    expect(resolved.people).toEqual([]);
  });
});
