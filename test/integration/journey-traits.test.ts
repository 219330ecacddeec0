import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import type { IngestionHarness } from '../support/ingestion';
import { type JourneyRig, startJourneyRig } from '../support/journey-rig';
import type { SmtpHarness } from '../support/smtp';

/**
 * The journey node `updateTrait` with real parts (tracking API, journey trigger, Temporal, PostgreSQL,
 * SMTP): it sets a non-identifying trait that the next split and the audience layer see; a graph
 * naming a sealed (identifying) trait is refused at validation, naming the field.
 */

describe('journey node updateTrait', () => {
  let d: TestDeployment;
  let sql: Sql;
  let smtp: SmtpHarness;
  let ingest: IngestionHarness;
  let personal: string[];

  async function runOf(journeyId: string, customerId: string) {
    const [row] = await sql<{ run_id: string; status: string }[]>`
      select run_id, status from journey_runs where journey_id = ${journeyId} and customer_id = ${customerId}`;
    return row;
  }

  let rig: JourneyRig;
  const person = (timezone: string, country: string) => rig.person(timezone, country);
  const track: JourneyRig['track'] = (p, event, properties) => rig.track(p, event, properties);
  const mailsTo = (email: string) => rig.mailsTo(email);

  beforeAll(async () => {
    rig = await startJourneyRig('journeytraits');
    ({ d, sql, smtp, ingest, personal } = rig);
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('refuses a graph that sets a sealed trait, naming the field; accepts a non-identifying one', async () => {
    const graphWith = (trait: string) => ({
      entry: { type: 'event', event: 'Plan Changed' },
      start: 'mark',
      nodes: { mark: { type: 'updateTrait', trait, value: 'gold', next: 'done' }, done: { type: 'exit' } },
    });
    for (const [trait, category] of [
      ['email', 'user.contact.email'],
      ['firstName', 'user.name'],
      ['shoe_size_secret', 'user.unclassified'],
    ] as const) {
      const refused = await ingest.admin('POST', '/admin/journeys', {
        name: 'Sealed',
        owner: 'eu',
        brandId: 'default',
        graph: graphWith(trait),
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(400);
      expect(refused.body.error).toMatch(
        new RegExp(`^graph\\.nodes\\.mark\\.trait: "${trait}" is classified ${category.replace('.', '\\.')}`),
      );
    }
    // A personal value is not a configuration value either: the schema bounds it (IDs and names, not content).
    const tooLong = await ingest.admin('POST', '/admin/journeys', {
      name: 'Long',
      owner: 'eu',
      brandId: 'default',
      graph: {
        ...graphWith('plan'),
        nodes: {
          mark: { type: 'updateTrait', trait: 'plan', value: 'x'.repeat(201), next: 'done' },
          done: { type: 'exit' },
        },
      },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatch(/^graph: nodes\.mark\.value/);
    const ok = await ingest.admin('POST', '/admin/journeys', {
      name: 'Plan',
      owner: 'eu',
      brandId: 'default',
      graph: graphWith('plan'),
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    // Published versions are checked the same way.
    const v2 = await ingest.admin('POST', `/admin/journeys/${ok.body.journey.id}/versions`, {
      graph: graphWith('phone'),
      runsMove: false,
    });
    expect(v2.status).toBe(400);
    expect(v2.body.error).toMatch(/^graph\.nodes\.mark\.trait: "phone" is classified user\.contact/);
    await ingest.admin('POST', `/admin/journeys/${ok.body.journey.id}/pause`);
  });

  it('a run sets the trait: the next split reads it, the audience layer is told, the message follows', async () => {
    const created = await ingest.admin('POST', '/admin/journeys', {
      name: 'Upgrade',
      owner: 'eu',
      brandId: 'default',
      graph: {
        entry: { type: 'event', event: 'Upgrade Paid' },
        start: 'mark',
        nodes: {
          mark: { type: 'updateTrait', trait: 'plan', value: 'gold', next: 'check' },
          check: { type: 'split', condition: { trait: 'plan', equals: 'gold' }, yes: 'thanks', no: 'done' },
          thanks: { type: 'message', channel: 'email', templateRef: 'gold-welcome', next: 'done' },
          done: { type: 'exit' },
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.journey.id;
    const buyer = await person('Europe/Berlin', 'DE');
    const before = await sql<{ value: unknown }[]>`
      select value from profile_traits where customer_id = ${buyer.customerId} and key = 'plan'`;
    expect(before).toEqual([]);
    await track(buyer, 'Upgrade Paid');
    await eventually(async () => expect((await runOf(id, buyer.customerId))?.status).toBe('exited'), 30_000, 250);
    const [trait] = await sql<{ value: unknown; category: string; source_id: string }[]>`
      select value, category, source_id from profile_traits where customer_id = ${buyer.customerId} and key = 'plan'`;
    expect(trait).toEqual({ value: 'gold', category: 'user.account', source_id: 'meridian-journeys' });
    const changes =
      await sql`select 1 from audience_changes where customer_id = ${buyer.customerId} and cause = 'trait'`;
    expect(changes.length).toBeGreaterThan(0);
    await eventually(async () => expect(mailsTo(buyer.email)).toHaveLength(1), 10_000);
    expect(mailsTo(buyer.email)[0]!.subject).toBe('Meridian gold-welcome');
  }, 60_000);
});
