import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import type { Sql } from 'postgres';
import { expect, inject } from 'vitest';
import { emailChannel } from '../../activities/channels/channels';
import { createChannelActivities } from '../../activities/channels/regional';
import { createJourneyActivities } from '../../activities/journeys/regional';
import { recordConsent } from '../../db/consent-store';
import { keyFromRef } from '../../db/crypto-shredding';
import { createJourney } from '../../db/journeys-store';
import { type JourneyGraphInput, parseJourneyGraph } from '../../domain/journeys';
import { createMailer, type Mailer } from '../../mail/mailer';
import { connectWorkerConnection, meridianDataConverter } from '../../temporal/connection';
import { JourneyTrigger } from '../../temporal/journey-trigger';
import { createTestDeployment, type TestDeployment } from './deployment';
import { type IngestionHarness, startIngestion } from './ingestion';
import { type SmtpHarness, startSmtpServer } from './smtp';

/** A shopper sent through the tracking API, with email consent granted. */
export interface Shopper {
  userId: string;
  email: string;
  customerId: string;
  timezone: string;
}

/**
 * The parts journeys run on, all real, in region eu: the tracking API (region writer → journey
 * outbox), the journey trigger, a worker running the journey and channel activities on the test's
 * workflow bundle, PostgreSQL and a local SMTP server. Templates render as "Meridian <ref>".
 */
export interface JourneyRig {
  d: TestDeployment;
  sql: Sql;
  smtp: SmtpHarness;
  ingest: IngestionHarness;
  /** The journey trigger: a test stops it to hold back the signals of events ingested meanwhile. */
  trigger: JourneyTrigger;
  /** Identifiers and e-mail addresses the test made up (for scans of histories). */
  personal: string[];
  person(timezone: string, country: string): Promise<Shopper>;
  track(p: { userId: string; timezone: string }, event: string, properties?: Record<string, unknown>): Promise<void>;
  mailsTo(email: string): SmtpHarness['messages'];
  /** Publishes a journey of region eu, brand default (ID `jr_<name>_<random>`); answers its ID. */
  journey(name: string, input: JourneyGraphInput): Promise<string>;
  close(): Promise<void>;
}

/** Issue 12's abandoned cart: a checkout waits for the order of the same cart, else a reminder; the order is the goal. */
export const abandonedCartGraph = (timeoutSeconds: number): JourneyGraphInput => ({
  entry: { type: 'event', event: 'Checkout Started', key: 'cart_id' },
  goal: { event: 'Order Completed' },
  start: 'wait',
  nodes: {
    wait: { type: 'waitForEvent', event: 'Order Completed', timeoutSeconds, next: 'done', timeout: 'remind' },
    remind: { type: 'message', channel: 'email', templateRef: 'cart-reminder', next: 'done' },
    done: { type: 'exit' },
  },
});

export async function startJourneyRig(name: string): Promise<JourneyRig> {
  const smtp = await startSmtpServer();
  const d = await createTestDeployment(name, { MERIDIAN_SMTP_URL: smtp.url });
  const sql = d.regional('eu').sql;
  await sql`select 1`;
  await d.global().sql`select 1`;
  const ingest = await startIngestion(d);
  const { writeKey } = await ingest.createSource('shop', 'eu');
  const mailer: Mailer = createMailer({ smtpUrl: smtp.url, from: 'Meridian <news@example.com>', pool: true });
  const region = d.config.regions.region('eu');
  const activities = {
    ...createJourneyActivities({ region: 'eu', sql, globalSql: d.global().sql }),
    ...createChannelActivities({
      region: 'eu',
      sql,
      globalSql: d.global().sql,
      regionKey: keyFromRef(region.keyRef, d.config.env),
      channels: { email: emailChannel(mailer) },
      templates: {
        async render(templateRef) {
          return { subject: `Meridian ${templateRef}`, text: `Hello from ${templateRef}` };
        },
      },
      unsubscribe: { publicUrl: 'https://privacy.example.com', signingKeys: d.config.signingKeys },
    }),
  };
  const worker = await Worker.create({
    connection: await connectWorkerConnection(d.config),
    namespace: d.config.temporal.namespace,
    taskQueue: region.taskQueue,
    workflowBundle: { codePath: inject('workflowBundle') },
    dataConverter: meridianDataConverter(d.config),
    activities,
  });
  const running = worker.run();
  const trigger = new JourneyTrigger(d.client, d.config.regions, 'eu', sql, d.global().sql, {
    idleMs: 100,
    pauseRecheckMs: 500,
    log: (m) => console.error(m),
  });
  trigger.start();
  const personal: string[] = [];

  async function person(timezone: string, country: string): Promise<Shopper> {
    const userId = `user-${randomUUID()}`;
    const email = `shopper-${randomUUID().slice(0, 8)}@example.de`;
    personal.push(userId, email);
    const messageId = randomUUID();
    const res = await ingest.send(writeKey, '/v1/identify', {
      userId,
      messageId,
      traits: { email, firstName: 'Greta' },
      context: { timezone },
    });
    expect(res.status).toBe(200);
    const [row] = await sql<{ customer_id: string }[]>`select customer_id from events where message_id = ${messageId}`;
    const customerId = row!.customer_id;
    await grantEmailConsent(sql, customerId, country);
    return { userId, email, customerId, timezone };
  }

  async function track(
    p: { userId: string; timezone: string },
    event: string,
    properties: Record<string, unknown> = {},
  ) {
    const res = await ingest.send(writeKey, '/v1/track', {
      userId: p.userId,
      event,
      properties,
      messageId: randomUUID(),
      context: { timezone: p.timezone },
    });
    expect(res.status).toBe(200);
  }

  return {
    d,
    sql,
    smtp,
    ingest,
    trigger,
    personal,
    person,
    track,
    mailsTo: (email) => smtp.messages.filter((m) => m.envelope.to.includes(email)),
    async journey(name, input) {
      const parsed = parseJourneyGraph(input);
      if (!parsed.ok) throw new Error(parsed.error);
      const id = `jr_${name}_${randomUUID().slice(0, 8)}`;
      await createJourney(d.global().sql, {
        id,
        name,
        owner: 'eu',
        brandId: 'default',
        graph: parsed.graph,
        publishedBy: 'test',
      });
      return id;
    },
    async close() {
      await trigger.stop();
      worker.shutdown();
      await running;
      await ingest.close();
      await mailer.close();
      await d.close();
      await smtp.close();
    },
  };
}

/** Email marketing consent granted (by an admin, proof "seed") at `at`, recorded without the propagation outbox. */
export async function grantEmailConsent(sql: Sql, customerId: string, country: string, at = '2026-01-01T00:00:00Z') {
  await recordConsent(
    sql,
    customerId,
    [{ purpose: 'emailMarketing', state: 'granted', source: 'admin', at, proof: { kind: 'test', reference: 'seed' } }],
    { country },
    { outbox: false },
  );
}
