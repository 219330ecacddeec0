import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConsent } from '../../db/consent-store';
import { getJourneyRun, journeyStats } from '../../db/journeys-store';
import type { JourneyGraphInput } from '../../domain/journeys';
import { localParts } from '../../domain/local-time';
import type { TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';
import type { IngestionHarness } from '../support/ingestion';
import { abandonedCartGraph, type JourneyRig, startJourneyRig } from '../support/journey-rig';
import type { SmtpHarness } from '../support/smtp';

/**
 * Journeys end to end with real parts: events through the tracking API (region writer → journey
 * outbox), the journey trigger, Temporal running journeyRun, the send gate in PostgreSQL and a local
 * SMTP server. Waits are seconds long (set per journey), never hours.
 */

describe('journeys', () => {
  let d: TestDeployment;
  let sql: Sql;
  let smtp: SmtpHarness;
  let ingest: IngestionHarness;
  const runIds: string[] = [];
  let personal: string[];

  async function runsOf(journeyId: string, customerId: string) {
    const rows = await sql<{ run_id: string; status: string; exit_reason: string | null; key_hash: string }[]>`
      select run_id, status, exit_reason, key_hash from journey_runs
      where journey_id = ${journeyId} and customer_id = ${customerId} order by entered_at`;
    for (const r of rows) if (!runIds.includes(r.run_id)) runIds.push(r.run_id);
    return rows;
  }

  async function stepsOf(runId: string) {
    return sql<{ step: string; outcome: string; reason: string | null }[]>`
      select step, outcome, reason from journey_step_outcomes where run_id = ${runId} order by step`;
  }

  let rig: JourneyRig;
  const person = (timezone: string, country: string) => rig.person(timezone, country);
  const track: JourneyRig['track'] = (p, event, properties) => rig.track(p, event, properties);
  const mailsTo = (email: string) => rig.mailsTo(email);
  const journey: JourneyRig['journey'] = (name, input) => rig.journey(name, input);

  beforeAll(async () => {
    rig = await startJourneyRig('journeys');
    ({ d, sql, smtp, ingest, personal } = rig);
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('abandoned cart: a reminder only for the cart with no order of the same cart ID within the wait', async () => {
    const journeyId = await journey('cart', abandonedCartGraph(6));
    const shopper = await person('Europe/Berlin', 'DE');
    const paidCart = `cart-${randomUUID()}`;
    const leftCart = `cart-${randomUUID()}`;
    personal.push(paidCart, leftCart);
    await track(shopper, 'Checkout Started', { cart_id: paidCart, total: 42 });
    await track(shopper, 'Checkout Started', { cart_id: leftCart, total: 17 });
    await eventually(async () => expect(await runsOf(journeyId, shopper.customerId)).toHaveLength(2), 20_000);
    // An order for the first cart (and a second checkout of the same cart starts no second run).
    await track(shopper, 'Order Completed', { cart_id: paidCart });
    await track(shopper, 'Checkout Started', { cart_id: paidCart });

    await eventually(
      async () => {
        const runs = await runsOf(journeyId, shopper.customerId);
        expect(runs.map((r) => r.status).sort()).toEqual(['converted', 'exited']);
      },
      30_000,
      250,
    );
    const runs = await runsOf(journeyId, shopper.customerId);
    expect(runs).toHaveLength(2);
    const reminded = runs.find((r) => r.status === 'exited')!;
    expect(await stepsOf(reminded.run_id)).toEqual([{ step: 'remind.1', outcome: 'sent', reason: null }]);
    const converted = runs.find((r) => r.status === 'converted')!;
    expect(await stepsOf(converted.run_id)).toEqual([]);
    await eventually(async () => expect(mailsTo(shopper.email)).toHaveLength(1), 10_000);
    expect(mailsTo(shopper.email)[0]!.subject).toBe('Meridian cart-reminder');
    const stats = await journeyStats(sql, journeyId);
    expect(stats).toMatchObject({ entered: 2, converted: 1, exited: 1, steps: { sent: 1 } });
  }, 60_000);

  it('one pass over many people keeps each person’s events in order: an order reaches the run its checkout started', async () => {
    // Held back, then handled together: the trigger handles people side by side in a pass, one
    // person's events one after another, so each checkout's run exists before its order is read.
    const journeyId = await journey('cart-pass', abandonedCartGraph(120));
    await rig.trigger.stop();
    const shoppers = await Promise.all(Array.from({ length: 24 }, () => person('Europe/Paris', 'FR')));
    try {
      for (const shopper of shoppers) {
        const cart = `cart-${randomUUID()}`;
        personal.push(cart);
        await track(shopper, 'Checkout Started', { cart_id: cart });
        await track(shopper, 'Order Completed', { cart_id: cart });
      }
      const ids = shoppers.map((s) => s.customerId);
      await eventually(async () => {
        const [n] = await sql<{ n: number }[]>`
          select count(*)::int as n from journey_event_outbox where customer_id = any(${sql.array(ids)}::uuid[])`;
        expect(n!.n).toBe(2 * shoppers.length);
      }, 20_000);
    } finally {
      rig.trigger.start();
    }
    // Converted by the order's signal, long before the 120 s wait would look for it itself.
    await eventually(
      async () => {
        const runs = (await Promise.all(shoppers.map((s) => runsOf(journeyId, s.customerId)))).flat();
        expect(runs.map((r) => `${r.status}:${r.exit_reason}`)).toEqual(shoppers.map(() => 'converted:goal'));
      },
      45_000,
      250,
    );
  }, 90_000);

  it('welcome: sends at the local time of day in the person’s zone (Tokyo)', async () => {
    // A local time a few seconds ahead in Tokyo: the run must sleep until exactly then.
    const target = new Date(Date.now() + 10_000);
    const tokyo = localParts(target, 'Asia/Tokyo');
    const localTime = [tokyo.hour, tokyo.minute, tokyo.second].map((n) => String(n).padStart(2, '0')).join(':');
    const journeyId = await journey('welcome', {
      entry: { type: 'event', event: 'Signed Up' },
      start: 'at10',
      nodes: {
        at10: { type: 'delayUntilLocalTime', localTime, next: 'hello' },
        hello: { type: 'message', channel: 'email', templateRef: 'welcome', next: 'done' },
        done: { type: 'exit' },
      },
    });
    const newcomer = await person('Asia/Tokyo', 'JP');
    await track(newcomer, 'Signed Up');
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(newcomer.email), 30_000);
    const [run] = await runsOf(journeyId, newcomer.customerId);
    const [sent] = await sql<{ created_at: Date }[]>`
      select reserved_at as created_at from send_keys where journey_run_id = ${run!.run_id}`;
    // Not before the local time (to the second it names), and not long after.
    expect(new Date(sent!.created_at).getTime()).toBeGreaterThanOrEqual(Math.floor(target.getTime() / 1000) * 1000);
    expect(new Date(sent!.created_at).getTime() - target.getTime()).toBeLessThan(15_000);
    expect(mail.subject).toBe('Meridian welcome');
  }, 60_000);

  it('two journeys cannot break a daily cap: at most 2 marketing emails on the person’s local day', async () => {
    const twoMails = (template: string): JourneyGraphInput => ({
      entry: { type: 'event', event: 'Sale Viewed' },
      start: 'first',
      nodes: {
        first: { type: 'message', channel: 'email', templateRef: `${template}-1`, next: 'second' },
        second: { type: 'message', channel: 'email', templateRef: `${template}-2`, next: 'done' },
        done: { type: 'exit' },
      },
    });
    const a = await journey('cap_a', twoMails('sale-a'));
    const b = await journey('cap_b', twoMails('sale-b'));
    const fan = await person('Europe/Berlin', 'DE');
    await track(fan, 'Sale Viewed');
    await eventually(
      async () => {
        const runs = [...(await runsOf(a, fan.customerId)), ...(await runsOf(b, fan.customerId))];
        expect(runs.map((r) => r.status)).toEqual(['exited', 'exited']);
      },
      30_000,
      250,
    );
    const outcomes = (
      await sql<{ outcome: string }[]>`
        select outcome || coalesce(':' || reason, '') as outcome from journey_step_outcomes
        where journey_id in (${a}, ${b}) order by 1`
    ).map((r) => r.outcome);
    expect(outcomes).toEqual(['blocked:frequency-cap-day', 'blocked:frequency-cap-day', 'sent', 'sent']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mailsTo(fan.email)).toHaveLength(2);
  }, 60_000);

  it('a withdrawal between scheduling and sending stops the send', async () => {
    const journeyId = await journey('browse', {
      entry: { type: 'event', event: 'Product Viewed' },
      start: 'later',
      nodes: {
        later: { type: 'delay', seconds: 4, next: 'nudge' },
        nudge: { type: 'message', channel: 'email', templateRef: 'browse-nudge', next: 'done' },
        done: { type: 'exit' },
      },
    });
    const browser = await person('Europe/Berlin', 'DE');
    await track(browser, 'Product Viewed', { sku: 'SKU-1' });
    await eventually(async () => expect(await runsOf(journeyId, browser.customerId)).toHaveLength(1), 20_000);
    await recordConsent(
      sql,
      browser.customerId,
      [
        {
          purpose: 'emailMarketing',
          state: 'withdrawn',
          source: 'admin',
          at: new Date().toISOString(),
          proof: { kind: 'test', reference: 'withdrawn' },
        },
      ],
      { country: 'DE' },
      { outbox: false },
    );
    await eventually(
      async () => expect((await runsOf(journeyId, browser.customerId))[0]!.status).toBe('exited'),
      30_000,
      250,
    );
    const [run] = await runsOf(journeyId, browser.customerId);
    expect(await stepsOf(run!.run_id)).toEqual([
      { step: 'nudge.1', outcome: 'blocked', reason: 'consent-not-granted' },
    ]);
    expect(mailsTo(browser.email)).toHaveLength(0);
    expect((await getJourneyRun(sql, run!.run_id))?.exitReason).toBe('exit-node');
  }, 60_000);

  it('admin API: a bad graph is refused naming the field and the rule', async () => {
    const bad = await ingest.admin('POST', '/admin/journeys', {
      name: 'Broken',
      owner: 'eu',
      brandId: 'default',
      graph: {
        entry: { type: 'event', event: 'Signed Up' },
        start: 'hello',
        nodes: {
          hello: { type: 'message', channel: 'email', templateRef: 'welcome', next: 'bye' },
          done: { type: 'exit' },
        },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('graph: nodes.hello.next: names no node ("bye")');
    const loop = await ingest.admin('POST', '/admin/journeys', {
      name: 'Loop',
      owner: 'eu',
      brandId: 'default',
      graph: {
        entry: { type: 'segmentEntered', segmentId: 'seg_missing' },
        start: 'a',
        nodes: { a: { type: 'updateTag', tag: 'x', action: 'add', next: 'a' }, out: { type: 'exit' } },
      },
    });
    expect(loop.status).toBe(400);
    expect(loop.body.error).toMatch(
      /^graph: nodes\.a: cannot reach an exit node; nodes\.a: the cycle a → a has no delay or wait/,
    );
    const unknownSegment = await ingest.admin('POST', '/admin/journeys', {
      name: 'Segment',
      owner: 'eu',
      brandId: 'default',
      graph: {
        entry: { type: 'segmentEntered', segmentId: 'seg_missing' },
        start: 'out',
        nodes: { out: { type: 'exit' } },
      },
    });
    expect(unknownSegment.status).toBe(400);
    expect(unknownSegment.body.error).toMatch(/^graph\.entry\.segmentId: no segment "seg_missing"/);
  });

  it('pause holds runs in flight; a version published with "runs move" takes them over; resume sends', async () => {
    const v1 = {
      entry: { type: 'event', event: 'Trial Started' },
      start: 'wait',
      nodes: {
        wait: { type: 'delay', seconds: 2, next: 'hello' },
        hello: { type: 'message', channel: 'email', templateRef: 'trial-v1', next: 'done' },
        done: { type: 'exit' },
      },
    };
    const created = await ingest.admin('POST', '/admin/journeys', {
      name: 'Trial',
      owner: 'eu',
      brandId: 'default',
      graph: v1,
    });
    expect(created.status).toBe(201);
    const id: string = created.body.journey.id;
    const trialist = await person('Europe/Berlin', 'DE');
    await track(trialist, 'Trial Started');
    await eventually(async () => expect(await runsOf(id, trialist.customerId)).toHaveLength(1), 20_000);
    const paused = await ingest.admin('POST', `/admin/journeys/${id}/pause`);
    expect(paused.body.journey.status).toBe('paused');
    // Past the delay: the run holds before its message.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(mailsTo(trialist.email)).toHaveLength(0);
    const v2 = { ...v1, nodes: { ...v1.nodes, hello: { ...v1.nodes.hello, templateRef: 'trial-v2' } } };
    const published = await ingest.admin('POST', `/admin/journeys/${id}/versions`, { graph: v2, runsMove: true });
    expect(published.status).toBe(200);
    expect(published.body.journey.version).toBe(2);
    await ingest.admin('POST', `/admin/journeys/${id}/resume`);
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(trialist.email), 20_000);
    expect(mail.subject).toBe('Meridian trial-v2');
    await eventually(async () => expect((await runsOf(id, trialist.customerId))[0]!.status).toBe('exited'), 10_000);
    const [run] = await runsOf(id, trialist.customerId);
    expect((await getJourneyRun(sql, run!.run_id))?.version).toBe(2);
    const stats = await ingest.admin('GET', `/admin/journeys/${id}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body.total).toMatchObject({ entered: 1, exited: 1, byVersion: { '2': 1 }, steps: { sent: 1 } });
  }, 60_000);

  it('a merged profile’s runs are reconciled: moved to the survivor, or ended when the survivor has one', async () => {
    const waitForOrder = (entry: string, template: string): JourneyGraphInput => ({
      entry: { type: 'event', event: entry },
      start: 'wait',
      nodes: {
        wait: { type: 'waitForEvent', event: 'Order Completed', timeoutSeconds: 30, next: 'thanks', timeout: 'done' },
        thanks: { type: 'message', channel: 'email', templateRef: template, next: 'done' },
        done: { type: 'exit' },
      },
    });
    const moving = await journey('merge_move', waitForOrder('Cart Viewed', 'merge-thanks'));
    const loser = await person('Europe/Berlin', 'DE');
    const survivor = await person('Europe/Berlin', 'DE');
    await track(loser, 'Cart Viewed');
    await eventually(async () => expect(await runsOf(moving, loser.customerId)).toHaveLength(1), 20_000);
    // Both have a run of the second journey: the loser's ends as merged.
    const both = await journey('merge_both', waitForOrder('Wishlist Viewed', 'merge-both'));
    await track(loser, 'Wishlist Viewed');
    await track(survivor, 'Wishlist Viewed');
    await eventually(async () => {
      expect(await runsOf(both, loser.customerId)).toHaveLength(1);
      expect(await runsOf(both, survivor.customerId)).toHaveLength(1);
    }, 20_000);
    const [movedRun] = await runsOf(moving, loser.customerId);
    const [loserBoth] = await runsOf(both, loser.customerId);
    // What the identity merge leaves on the merged-away profile (db/identity-merge-store.ts).
    await sql`update profiles set merged_into = ${survivor.customerId} where customer_id = ${loser.customerId}`;
    await eventually(async () => {
      expect((await getJourneyRun(sql, movedRun!.run_id))?.customerId).toBe(survivor.customerId);
      expect((await getJourneyRun(sql, loserBoth!.run_id))?.status).toBe('merged');
    }, 20_000);
    // The survivor's order now answers the moved run's wait, and the message goes to the survivor.
    await track(survivor, 'Order Completed');
    const mail = await smtp.waitFor(
      (m) => m.envelope.to.includes(survivor.email) && m.subject === 'Meridian merge-thanks',
      20_000,
    );
    expect(mail).toBeDefined();
    expect(mailsTo(loser.email)).toHaveLength(0);
    await eventually(
      async () =>
        expect((await d.client.workflow.getHandle(loserBoth!.run_id).describe()).status.name).toBe('COMPLETED'),
      10_000,
    );
  }, 90_000);

  it('no journey history holds a personal value (decoded and scanned)', async () => {
    expect(runIds.length).toBeGreaterThanOrEqual(7);
    for (const runId of runIds) {
      const history = await decodedHistory(d.client.workflow.getHandle(runId), d.config.payloadKeys);
      expect(history.length).toBeGreaterThan(0);
      // The history does carry the run's IDs, so the scan reads what it should.
      expect(history).toContain(runId);
      for (const value of [...personal, 'Greta', 'example.de', 'SKU-1'])
        expect(history, `${runId} holds a personal value`).not.toContain(value);
    }
  }, 60_000);
});
