import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { allowEmulatorHosts } from '../emulators/hosts';
import { MetaEmulator, startMetaEmulator } from '../emulators/meta';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { IngestionHarness, startIngestion } from '../support/ingestion';

allowEmulatorHosts();

/**
 * Issue 8, item 7: pushConsent held a transaction (and an advisory lock) open across the vendor's
 * answer, then wrote its status through the pool. With a slow vendor and as many pushes as the region
 * pool has connections (10), every connection sat in a transaction waiting for one more, and every
 * activity of the region hung. Here more pushes than that go to a slow Meta emulator at once: they all
 * complete, and while the vendor holds them the region still runs other work at once.
 */

const PEOPLE = 14;
/** Each vendor call takes this long: far longer than the region needs for anything else. */
const VENDOR_LATENCY_MS = 8_000;
const REGION_POOL_SIZE = 10;

describe('consent pushes against a slow vendor', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let meta: MetaEmulator;
  const people: string[] = [];

  beforeAll(async () => {
    d = await createTestDeployment('pushpool');
    await d.startWorkers(['global', 'eu']);
    h = await startIngestion(d);
    meta = await startMetaEmulator({
      accessToken: 'meta-pool-token',
      adAccountId: '7007',
      latencyMs: VENDOR_LATENCY_MS,
    });
    const emails = Array.from({ length: PEOPLE }, (_, i) => `pool.person${i}@example.de`);
    meta.createAudience(
      '900',
      emails.map((email) => ({ email })),
    );
    const created = await h.admin('POST', '/admin/connectors', {
      id: 'eu_meta_pool',
      name: 'Meta audiences (slow)',
      system: 'meta_audiences',
      region: 'eu',
      settings: { baseUrl: meta.baseUrl, adAccountId: '7007', audienceIds: ['900'] },
      credentials: { accessToken: 'meta-pool-token' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const source = await h.createSource('pool shop', 'eu');
    for (const [i, email] of emails.entries()) {
      const sent = await h.send(source.writeKey, '/v1/identify', {
        userId: `pool-${i}`,
        traits: { email },
        context: { location: { country: 'DE' } },
      });
      expect(sent.status).toBe(200);
      people.push((await h.admin('POST', '/admin/profiles/lookup', { type: 'email', value: email })).body.customerId);
    }
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
    await meta?.close();
  });

  it('more concurrent consent pushes than the region pool holds complete, and the region is not starved meanwhile', async () => {
    const change = (state: 'granted' | 'denied') =>
      Promise.all(
        people.map((customerId, i) =>
          h.admin('PUT', `/admin/profiles/${customerId}/consent`, {
            country: 'DE',
            records: [
              {
                purpose: 'personalisedAds',
                state,
                proof: { kind: 'preference-form', reference: `pool-${state}-${i}` },
              },
            ],
          }),
        ),
      );
    // Under the GDPR ads are denied until granted: each person grants first (Meta has nothing to do for a
    // grant), then withdraws, which every push takes to Meta at once.
    const granted = await change('granted');
    for (const res of granted) expect(res.status, JSON.stringify(res.body)).toBe(200);
    await Promise.all(granted.map((res) => d.client.workflow.getHandle(res.body.propagation.workflowId).result()));
    const changed = await change('denied');
    for (const res of changed) expect(res.status, JSON.stringify(res.body)).toBe(200);

    // Every push is waiting on the vendor at once: more than the pool has connections.
    await eventually(async () => expect(meta.inFlight().now).toBeGreaterThan(REGION_POOL_SIZE), 30_000);

    // Meanwhile the region's worker runs other activities on its database at once.
    const probeStarted = Date.now();
    const health = await startRegionHealth(d.client, d.config, { regions: ['eu'], samples: 2, intervalMs: 10 });
    const report = await health.result();
    const probeMs = Date.now() - probeStarted;
    expect(report.regions[0]).toMatchObject({ region: 'eu' });
    expect(probeMs).toBeLessThan(VENDOR_LATENCY_MS / 2);
    expect(meta.inFlight().now, 'the vendor still held the pushes while the region answered').toBeGreaterThan(0);

    const results = await Promise.all(
      changed.map((res) => d.client.workflow.getHandle(res.body.propagation.workflowId).result()),
    );
    for (const result of results) expect(result).toEqual({ status: 'complete', systems: { eu_meta_pool: 'done' } });
    expect(meta.inFlight().max).toBeGreaterThan(REGION_POOL_SIZE);
    expect(meta.memberCount('900')).toBe(0);
  }, 150_000);
});
