import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindIndex } from '../../db/crypto-shredding';
import { eraseProfiles } from '../../db/erasure-store';
import { requestIdentityMerge, identityMergeWorkflowId } from '../../temporal/processes/identity-merge';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';

/**
 * Erasure against everything that writes to a profile at the same moment (issue 8, items 14 and
 * 19), with real concurrent transactions on PostgreSQL: an ingest commit caught in the middle of
 * an erasure, a suppressed person's new identifiers, a group commit holding a call for an erased
 * person, and an identity merge naming an erased profile. The interleavings are forced with
 * database locks and observed through pg_locks, never with sleeps.
 */

describe('erasure races', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let source: { id: string; writeKey: string };

  beforeAll(async () => {
    d = await createTestDeployment('erasure', {});
    await d.startWorkers(['global', 'eu']);
    h = await startIngestion(d);
    source = await h.createSource('erasure races shop', 'eu', { kind: 'server' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  const eu = () => d.regional('eu').sql;
  const customerOf = async (userId: string): Promise<string> => {
    const { body } = await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: userId });
    return body.customerId;
  };
  const identitiesOf = async (customerId: string) =>
    (await eu()<{ type: string }[]>`select type from identities where customer_id = ${customerId} order by type`).map(
      (r) => r.type,
    );
  /**
   * Backends of this region's database waiting for a lock, by what they run. Asked through the
   * global pool: the region's test pool is busy holding the transactions being observed.
   */
  let euDatabase: string;
  const waiting = async (pattern: string) =>
    (
      await d.global().sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where not l.granted and a.datname = ${euDatabase} and a.query ilike ${pattern}`
    )[0]!.n;

  it('an identity committed while its person is being erased is erased too, never left on the shredded profile (erasure fence)', async () => {
    expect(
      (
        await h.send(source.writeKey, '/v1/identify', {
          userId: 'race-user',
          traits: { email: 'race.user@example.de' },
        })
      ).status,
    ).toBe(200);
    const customerId = await customerOf('race-user');
    euDatabase = (await eu()<{ database: string }[]>`select current_database() as database`)[0]!.database;
    const device = blindIndex(d.config.identityHmacKey, 'anonymous_id', 'race-device');

    // A transaction holding the new device's identity row uncommitted: the ingest commit below
    // stops at its identity insert, after it has read the person's profile, until this one ends.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const blocker = eu()
      .begin(async (tx) => {
        await tx`insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id)
                 values (${randomUUID()}, 'anonymous_id', ${device}, ${randomBytes(16)}, ${randomUUID()}, 'race-blocker')`;
        holding();
        await released;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await held;

    const ingest = h.send(source.writeKey, '/v1/track', {
      userId: 'race-user',
      anonymousId: 'race-device',
      event: 'Raced',
    });
    await eventually(async () => expect(await waiting('%insert into identities%')).toBeGreaterThan(0), 30_000);

    // The erasure starts now: it either waits behind the ingest commit (fence) or runs past it.
    let erased = false;
    const erasure = eraseProfiles(eu(), d.global().sql, [customerId], false).then((counts) => {
      erased = true;
      return counts;
    });
    await eventually(async () => expect(erased || (await waiting('%pg_advisory_xact_lock(%')) > 0).toBe(true), 30_000);
    release();
    await blocker;

    const response = await ingest;
    expect(response.status).toBe(200);
    await erasure;
    expect(await identitiesOf(customerId), 'no identity points at the shredded profile').toEqual([]);
    const [events] = await eu()<
      { n: number }[]
    >`select count(*)::int as n from events where customer_id = ${customerId}`;
    expect(events!.n).toBe(0);
    const [index] = await d.global().sql<
      { n: number }[]
    >`select count(*)::int as n from identity_index where customer_id = ${customerId}`;
    expect(index!.n).toBe(0);
  }, 90_000);

  it('a suppressed person’s new identifiers are not written', async () => {
    expect(
      (
        await h.send(source.writeKey, '/v1/identify', {
          userId: 'suppressed-user',
          traits: { email: 'suppressed.user@example.de' },
        })
      ).status,
    ).toBe(200);
    const customerId = await customerOf('suppressed-user');
    await eu()`insert into suppressions (customer_id, request_id) values (${customerId}, 'dsar-test-suppressed')`;
    const sent = await h.send(source.writeKey, '/v1/identify', {
      userId: 'suppressed-user',
      anonymousId: 'suppressed-new-device',
      traits: { phone: '+4915112340000' },
    });
    expect(sent.status).toBe(200);
    expect(await identitiesOf(customerId)).toEqual(['email', 'user_id']);
    const [device] = await eu()<
      { n: number }[]
    >`select count(*)::int as n from identities where type = 'anonymous_id' and blind_index = ${blindIndex(d.config.identityHmacKey, 'anonymous_id', 'suppressed-new-device')}`;
    expect(device!.n).toBe(0);
  }, 60_000);

  it('a call for an erased profile is rejected alone: the rest of its group commit is stored', async () => {
    expect((await h.send(source.writeKey, '/v1/identify', { userId: 'shredded-user' })).status).toBe(200);
    const customerId = await customerOf('shredded-user');
    await eraseProfiles(eu(), d.global().sql, [customerId], false);
    // An identity left on the shredded profile, as an erasure racing ingestion could leave before the fence.
    await eu()`insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id)
               values (${customerId}, 'anonymous_id', ${blindIndex(d.config.identityHmacKey, 'anonymous_id', 'leftover-device')}, ${randomBytes(16)}, ${customerId}, ${source.id})`;

    // A fresh server: no data key cached, as after a restart or on another web node.
    const fresh = await startIngestion(d);
    try {
      const batch = await fresh.send(source.writeKey, '/v1/batch', {
        batch: [
          { type: 'track', anonymousId: 'leftover-device', event: 'Ghost' },
          { type: 'identify', userId: 'bystander-user', traits: { email: 'bystander@example.de' } },
        ],
      });
      expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    } finally {
      await fresh.close();
    }
    const bystander = await customerOf('bystander-user');
    expect(await identitiesOf(bystander)).toEqual(['email', 'user_id']);
    const [ghost] = await eu()<
      { n: number }[]
    >`select count(*)::int as n from events where customer_id = ${customerId}`;
    expect(ghost!.n).toBe(0);
  }, 60_000);

  it('identityMerge drops a merge that names an erased profile instead of retrying it forever', async () => {
    expect((await h.send(source.writeKey, '/v1/identify', { userId: 'merge-erased-into' })).status).toBe(200);
    expect(
      (
        await h.send(source.writeKey, '/v1/identify', {
          userId: 'merge-erased-from',
          anonymousId: 'merge-erased-device',
        })
      ).status,
    ).toBe(200);
    const into = await customerOf('merge-erased-into');
    const from = await customerOf('merge-erased-from');
    await eraseProfiles(eu(), d.global().sql, [into], false);

    await requestIdentityMerge(d.client, d.config.regions, { from, into, linkedBy: 'email' });
    const handle = d.client.workflow.getHandle(identityMergeWorkflowId(into));
    await eventually(
      async () => {
        const failures = [];
        for (const event of (await handle.fetchHistory()).events ?? []) {
          if (event.activityTaskFailedEventAttributes) failures.push(event.activityTaskFailedEventAttributes.failure);
        }
        expect(
          failures.map((f) => f?.applicationFailureInfo?.type ?? f?.cause?.applicationFailureInfo?.type),
        ).toContain('ProfileShredded');
        const description = await handle.describe();
        expect(description.raw.pendingActivities ?? []).toEqual([]);
      },
      60_000,
      500,
    );
    // The surviving profile was left as it was.
    expect(await identitiesOf(from)).toEqual(['anonymous_id', 'user_id']);
  }, 90_000);
});
