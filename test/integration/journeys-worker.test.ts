import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeployment, type TestDeployment, type WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { grantEmailConsent } from '../support/journey-rig';
import { decodedHistory } from '../support/history';
import { type IngestionHarness, startIngestion } from '../support/ingestion';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';

/**
 * The abandoned-cart journey through the real entry points: the worker process (workers/main.ts: the
 * journey trigger, journeyRun, sendMessage as wired with templates from the database), the web
 * process (tracking API, /admin/journeys, /admin/templates), PostgreSQL and a local SMTP server.
 * The wait is seconds long, set in the journey.
 */

describe('journeys in the worker process', () => {
  let d: TestDeployment;
  let sql: Sql;
  let smtp: SmtpHarness;
  let ingest: IngestionHarness;
  let worker: WorkerProcess;
  let writeKey: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    d = await createTestDeployment('journeysworker', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_MARKETING_MAIL_FROM: 'Meridian News <news@example.com>',
    });
    sql = d.regional('eu').sql;
    await sql`select 1`;
    ingest = await startIngestion(d);
    ({ writeKey } = await ingest.createSource('shop', 'eu'));
    worker = await d.startWorkers(['eu']);
  }, 120_000);

  afterAll(async () => {
    await ingest?.close();
    await d?.close();
    await smtp?.close();
  }, 60_000);

  it('abandoned cart: checkout started → no order with that cart ID within the wait → one reminder, rendered for her', async () => {
    const template = await ingest.admin('POST', '/admin/templates', {
      id: 'cart_reminder',
      brandId: 'default',
      name: 'Cart reminder',
      channel: 'email',
      defaultLocale: 'en',
      variants: {
        en: {
          subject: 'Your cart is waiting, {{ first_name | default: "friend" }}',
          body: '<p>Hello {{ first_name | default: "friend" }}, your cart is still here.</p>',
        },
      },
    });
    expect(template.status, JSON.stringify(template.body)).toBe(201);
    const journey = await ingest.admin('POST', '/admin/journeys', {
      name: 'Abandoned cart',
      owner: 'eu',
      brandId: 'default',
      graph: {
        entry: { type: 'event', event: 'Checkout Started', key: 'cart_id' },
        reEntry: { mode: 'afterExit' },
        goal: { event: 'Order Completed' },
        start: 'wait',
        nodes: {
          wait: { type: 'waitForEvent', event: 'Order Completed', timeoutSeconds: 6, next: 'done', timeout: 'remind' },
          remind: { type: 'message', channel: 'email', templateRef: 'cart_reminder', next: 'done' },
          done: { type: 'exit' },
        },
      },
    });
    expect(journey.status, JSON.stringify(journey.body)).toBe(201);
    const journeyId: string = journey.body.journey.id;

    const userId = `user-${randomUUID()}`;
    const email = `greta-${randomUUID().slice(0, 8)}@example.de`;
    const identify = randomUUID();
    await ingest.send(writeKey, '/v1/identify', {
      userId,
      messageId: identify,
      traits: { email, firstName: 'Greta' },
      context: { timezone: 'Europe/Berlin', locale: 'en-DE' },
    });
    const [row] = await sql<{ customer_id: string }[]>`select customer_id from events where message_id = ${identify}`;
    const customerId = row!.customer_id;
    await grantEmailConsent(sql, customerId, 'DE');
    const track = async (event: string, properties: Record<string, unknown>) => {
      const res = await ingest.send(writeKey, '/v1/track', {
        userId,
        event,
        properties,
        messageId: randomUUID(),
        context: { timezone: 'Europe/Berlin' },
      });
      expect(res.status).toBe(200);
    };
    const paid = `cart-${randomUUID()}`;
    const left = `cart-${randomUUID()}`;
    await track('Checkout Started', { cart_id: paid });
    await track('Checkout Started', { cart_id: left });
    await track('Order Completed', { cart_id: paid });

    const mail = await smtp.waitFor((m) => m.envelope.to.includes(email), 40_000);
    expect(mail.subject).toBe('Your cart is waiting, Greta');
    await eventually(async () => {
      const runs = await sql<{ status: string }[]>`
        select status from journey_runs where journey_id = ${journeyId} order by status`;
      expect(runs.map((r) => r.status)).toEqual(['converted', 'exited']);
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(smtp.messages.filter((m) => m.envelope.to.includes(email))).toHaveLength(1);
    const stats = await ingest.admin('GET', `/admin/journeys/${journeyId}/stats`);
    expect(stats.body.total).toMatchObject({ entered: 2, converted: 1, exited: 1, steps: { sent: 1 } });

    // The email holds her name; the runs' histories hold none of her values, nor the cart IDs.
    const runIds = await sql<{ run_id: string }[]>`select run_id from journey_runs where journey_id = ${journeyId}`;
    for (const { run_id } of runIds) {
      const history = await decodedHistory(d.client.workflow.getHandle(run_id), d.config.payloadKeys);
      expect(history).toContain(run_id);
      for (const value of [userId, email, 'Greta', paid, left, 'example.de'])
        expect(history, `${run_id} holds a personal value`).not.toContain(value);
    }
    expect(worker.output()).not.toContain(email);
  }, 90_000);
});
