import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { plannedGroups } from '../../db/broadcasts-store';
import { segmentMemberCount } from '../../db/segments-store';
import { localParts } from '../../domain/local-time';
import { MARKET_ZONES, nextAllowedInstant, QUIET_HOURS } from '../../domain/quiet-hours';
import { broadcastWorkflowId } from '../../workflows/definitions';
import { allowEmulatorHosts } from '../emulators/hosts';
import { startTwilioEmulator, type TwilioEmulator } from '../emulators/twilio';
import { createTestDeployment, type TestDeployment, type WorkerProcess } from '../support/deployment';
import { eventually } from '../support/eventually';
import { decodedHistory } from '../support/history';
import { type IngestionHarness, startIngestion } from '../support/ingestion';
import { type SmtpHarness, startSmtpServer } from '../support/smtp';

allowEmulatorHosts();

/**
 * Broadcasts end to end: people ingested through the tracking API (their zones from their events),
 * a segment computed by the audience processor, the broadcast created, started and steered through
 * the admin API, one workflow on the region's worker process, email to a local SMTP server and SMS
 * to the Twilio emulator. The region's send rate is 5 per second, so a broadcast takes long enough
 * to kill a worker or pause it halfway.
 */

const US_TOKEN = `us-only-${'b'.repeat(24)}`;
const ACCOUNT = `AC${'5'.repeat(32)}`;
const SERVICE = `MG${'6'.repeat(32)}`;

interface Person {
  email: string;
  phone: string;
  timezone?: string;
  country?: string;
  /** false: no consent recorded (the gate blocks them). */
  consent?: boolean;
}

describe('broadcasts', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let smtp: SmtpHarness;
  let twilio: TwilioEmulator;
  let worker: WorkerProcess;
  let writeKey: string;
  let allToken: string;

  const as = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${h.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };
  const admin = (method: string, path: string, body?: unknown) => as(allToken, method, path, body);

  /** People in a new segment (trait plan = a fresh value), computed by the audience processor. */
  async function cohort(people: Person[]): Promise<{ segmentId: string; customerIds: string[] }> {
    const name = `c${randomUUID().slice(0, 8)}`;
    const segment = await admin('POST', '/admin/segments', {
      name,
      owner: 'eu',
      definition: { type: 'trait', key: 'plan', op: 'eq', value: name },
    });
    expect(segment.status, segment.text).toBe(201);
    const customerIds: string[] = [];
    for (const p of people) {
      const sent = await h.send(writeKey, '/v1/identify', {
        userId: `u-${randomUUID()}`,
        traits: { email: p.email, phone: p.phone, plan: name, firstName: 'Kim' },
        context: p.timezone ? { timezone: p.timezone } : {},
      });
      expect(sent.status).toBe(200);
      const found = await admin('POST', '/admin/profiles/lookup', { type: 'email', value: p.email });
      expect(found.status, found.text).toBe(200);
      customerIds.push(found.body.customerId);
      if (p.consent === false) continue;
      const consent = await admin('PUT', `/admin/profiles/${found.body.customerId}/consent`, {
        country: p.country ?? 'DE',
        records: ['emailMarketing', 'smsMarketing'].map((purpose) => ({
          purpose,
          state: 'granted',
          proof: { kind: 'form', reference: 'broadcast-test' },
        })),
      });
      expect(consent.status, consent.text).toBe(200);
    }
    await eventually(async () => {
      const { count } = await segmentMemberCount(d.regional('eu').sql, segment.body.segment.id);
      expect(count).toBe(people.length);
    }, 60_000);
    return { segmentId: segment.body.segment.id, customerIds };
  }

  const mailTo = (email: string) => smtp.messages.filter((m) => m.envelope.to.includes(email));
  /** The wall clock in `zone` a few seconds from now, HH:MM:SS (a broadcast's local time). */
  const inSeconds = (zone: string, seconds: number) => {
    const p = localParts(new Date(Date.now() + seconds * 1000), zone);
    return [p.hour, p.minute, p.second].map((n) => String(n).padStart(2, '0')).join(':');
  };

  async function create(body: Record<string, unknown>) {
    const res = await admin('POST', '/admin/broadcasts', {
      id: `b${randomUUID().slice(0, 8)}`,
      name: 'Test broadcast',
      region: 'eu',
      brandId: 'default',
      channel: 'email',
      templateRef: 'bc_mail',
      whenPassed: 'next-day',
      fallbackZone: 'Europe/Berlin',
      ...body,
    });
    expect(res.status, res.text).toBe(201);
    return res.body.broadcast as { id: string; templateRef: string };
  }
  const progress = async (id: string) => (await admin('GET', `/admin/broadcasts/${id}/progress`)).body.progress;

  const people = (n: number, extra: Partial<Person> = {}): Person[] =>
    Array.from({ length: n }, () => {
      const tag = randomUUID().slice(0, 8);
      return {
        email: `bc-${tag}@example.de`,
        phone: `+49151${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
        ...extra,
      };
    });

  beforeAll(async () => {
    smtp = await startSmtpServer();
    twilio = await startTwilioEmulator({ accountSid: ACCOUNT, authToken: 'token', messagingServices: [SERVICE] });
    allToken = inject('secretsEnv').MERIDIAN_ADMIN_TOKENS!.replace(/:\*$/, '');
    d = await createTestDeployment('broadcasts', {
      MERIDIAN_SMTP_URL: smtp.url,
      MERIDIAN_TWILIO_ACCOUNT_SID: ACCOUNT,
      MERIDIAN_TWILIO_AUTH_TOKEN: 'token',
      MERIDIAN_TWILIO_MESSAGING_SERVICE_SID: SERVICE,
      MERIDIAN_TWILIO_BASE_URL: twilio.baseUrl,
      MERIDIAN_BROADCAST_PER_SECOND: '5',
      MERIDIAN_ADMIN_TOKENS: `${allToken}:*,${US_TOKEN}:us`,
    });
    h = await startIngestion(d);
    writeKey = (await h.createSource('Hamburg shop', 'eu')).writeKey;
    for (const [id, channel, variant] of [
      ['bc_mail', 'email', { subject: 'Hallo {{ first_name }}', body: '<p>Unser Angebot</p>' }],
      ['bc_sms', 'sms', { body: 'Angebot für {{ first_name }}' }],
    ] as const) {
      const t = await admin('POST', '/admin/templates', {
        id,
        brandId: 'default',
        name: id,
        channel,
        defaultLocale: 'de',
        variants: { de: variant },
      });
      expect(t.status, t.text).toBe(201);
    }
    worker = await d.startWorkers(['eu']);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await d?.close();
    await smtp?.close();
    await twilio?.close();
  });

  it('plans Tokyo, Berlin (across the DST change), São Paulo and the fallback each at their own 10:00; a us token cannot touch it; cancel sends nobody', async () => {
    const group = await cohort([
      ...people(1, { timezone: 'Asia/Tokyo' }),
      ...people(1, { timezone: 'Europe/Berlin' }),
      ...people(1, { country: 'DE' }), // no zone of their own: their market's (Berlin)
      ...people(1, { timezone: 'America/Sao_Paulo' }),
      ...people(1, { country: 'JP' }), // no zone, no market zone: the marketer's fallback
    ]);
    // Sunday 2027-03-28: Berlin changes to summer time at 02:00, so 10:00 is 08:00Z (09:00Z the day before).
    const b = await create({
      segmentId: group.segmentId,
      localDate: '2027-03-28',
      localTime: '10:00',
      fallbackZone: 'Asia/Singapore',
    });
    expect(b.templateRef).toBe('bc_mail:v1');

    // Region-scoped: a token for us neither sees nor starts it.
    expect((await as(US_TOKEN, 'POST', `/admin/broadcasts/${b.id}/start`)).status).toBe(403);
    expect((await as(US_TOKEN, 'GET', `/admin/broadcasts/${b.id}/progress`)).status).toBe(403);
    expect((await as(US_TOKEN, 'GET', '/admin/broadcasts')).body.broadcasts).toEqual([]);
    const wrongRegion = await as(US_TOKEN, 'POST', '/admin/broadcasts', {
      id: 'sneaky',
      name: 'x',
      region: 'eu',
      brandId: 'default',
      segmentId: group.segmentId,
      channel: 'email',
      templateRef: 'bc_mail',
      localTime: '10:00',
      whenPassed: 'skip',
      fallbackZone: 'UTC',
    });
    expect(wrongRegion.status).toBe(403);

    expect((await admin('POST', `/admin/broadcasts/${b.id}/start`)).status).toBe(202);
    await eventually(async () => {
      const p = await progress(b.id);
      expect(p).toMatchObject({ status: 'waiting', nextAt: '2027-03-28T01:00:00.000Z' });
      expect(p.counts).toMatchObject({ planned: 5, skipped: 0, sent: 0 });
    });
    expect(await plannedGroups(d.regional('eu').sql, b.id)).toEqual([
      { at: '2027-03-28T01:00:00.000Z', zone: 'Asia/Tokyo', count: 1, status: 'planned' },
      { at: '2027-03-28T02:00:00.000Z', zone: 'Asia/Singapore', count: 1, status: 'planned' },
      { at: '2027-03-28T08:00:00.000Z', zone: 'Europe/Berlin', count: 2, status: 'planned' },
      { at: '2027-03-28T13:00:00.000Z', zone: 'America/Sao_Paulo', count: 1, status: 'planned' },
    ]);

    expect((await admin('POST', `/admin/broadcasts/${b.id}/cancel`)).status).toBe(200);
    const handle = d.client.workflow.getHandle(broadcastWorkflowId(b.id));
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'cancelled', counts: { planned: 5, sent: 0, cancelled: 5 } });
    expect((await admin('GET', `/admin/broadcasts/${b.id}`)).body.broadcast.status).toBe('cancelled');
    const history = await decodedHistory(handle, d.config.payloadKeys);
    for (const personal of ['example.de', 'Kim', 'Unser Angebot']) expect(history).not.toContain(personal);
  });

  it('sends nobody twice when the worker is killed mid-broadcast; the blocked are counted by reason', async () => {
    const recipients = people(20, { country: 'DE' });
    const unconsented = people(1, { country: 'DE', consent: false });
    const group = await cohort([...recipients, ...unconsented]);
    const b = await create({ segmentId: group.segmentId, localTime: inSeconds('Europe/Berlin', 6) });
    expect((await admin('POST', `/admin/broadcasts/${b.id}/start`)).status).toBe(202);

    // Halfway (5 a second), between two sends: the worker dies.
    await eventually(
      async () => {
        expect(recipients.filter((p) => mailTo(p.email).length > 0).length).toBeGreaterThanOrEqual(6);
      },
      60_000,
      20,
    );
    await new Promise((r) => setTimeout(r, 100));
    await worker.kill();
    const before = recipients.filter((p) => mailTo(p.email).length > 0).length;
    expect(before).toBeLessThan(20);
    worker = await d.startWorkers(['eu']);

    const result = await d.client.workflow.getHandle(broadcastWorkflowId(b.id)).result();
    // One message each. SMTP has no idempotency key but the Message-ID (derived from the send key):
    // when the kill lands after the server accepted a message and before the send was recorded, the
    // retry hands the server the same message again, which mail clients show once. A second,
    // different message would be a second send.
    for (const p of recipients) {
      const ids = mailTo(p.email).map((m) => m.messageId);
      expect(ids.length, p.email).toBeGreaterThanOrEqual(1);
      expect(ids.every((id) => id !== '')).toBe(true);
      expect(new Set(ids).size, p.email).toBe(1);
    }
    expect(mailTo(unconsented[0]!.email)).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'completed',
      counts: { planned: 21, sent: 20, blocked: { 'no-consent-subject': 1 }, failed: 0 },
    });
    expect((await admin('GET', `/admin/broadcasts/${b.id}`)).body.broadcast.status).toBe('completed');
  }, 240_000);

  it('pauses and resumes: nothing is sent while paused, everyone once after', async () => {
    const recipients = people(25, { country: 'DE' });
    const group = await cohort(recipients);
    const b = await create({ segmentId: group.segmentId, localTime: inSeconds('Europe/Berlin', 6) });
    expect((await admin('POST', `/admin/broadcasts/${b.id}/start`)).status).toBe(202);
    const received = () => recipients.filter((p) => mailTo(p.email).length > 0).length;
    await eventually(async () => expect(received()).toBeGreaterThanOrEqual(2), 60_000, 20);
    expect((await admin('POST', `/admin/broadcasts/${b.id}/pause`)).status).toBe(200);

    // The batch in flight (at most 2 s of sends) ends; then nothing more.
    await eventually(async () => expect((await progress(b.id)).status).toBe('paused'));
    await new Promise((r) => setTimeout(r, 3000));
    const whilePaused = received();
    await new Promise((r) => setTimeout(r, 3000));
    expect(received()).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(25);

    expect((await admin('POST', `/admin/broadcasts/${b.id}/resume`)).status).toBe(200);
    const result = await d.client.workflow.getHandle(broadcastWorkflowId(b.id)).result();
    expect(result).toMatchObject({ status: 'completed', counts: { sent: 25 } });
    for (const p of recipients) expect(mailTo(p.email)).toHaveLength(1);
  }, 120_000);

  it('defers SMS inside quiet hours to the next allowed local time, not dropped', async () => {
    // A market whose SMS quiet hours hold now (at any instant one of them does).
    const now = new Date();
    const soon = new Date(now.getTime() + 60_000);
    const quiet = Object.keys(QUIET_HOURS.sms).find((country) => {
      const zone = MARKET_ZONES[country]!;
      return nextAllowedInstant(soon, zone, country, 'sms').getTime() > soon.getTime() + 10 * 60_000;
    })!;
    expect(quiet).toBeDefined();
    const zone = MARKET_ZONES[quiet]!;
    const recipients = people(3, { country: quiet });
    const group = await cohort(recipients);
    const b = await create({
      segmentId: group.segmentId,
      channel: 'sms',
      templateRef: 'bc_sms',
      fallbackZone: zone,
      localTime: inSeconds(zone, 6),
    });
    expect((await admin('POST', `/admin/broadcasts/${b.id}/start`)).status).toBe(202);
    const opens = nextAllowedInstant(new Date(Date.now() + 6000), zone, quiet, 'sms').toISOString();
    await eventually(async () => {
      const p = await progress(b.id);
      expect(p.counts.deferred).toBe(3);
      expect(p).toMatchObject({ status: 'waiting', nextAt: opens });
    }, 60_000);
    expect(await plannedGroups(d.regional('eu').sql, b.id)).toEqual([{ at: opens, zone, count: 3, status: 'planned' }]);
    expect(twilio.messages().filter((m) => recipients.some((p) => p.phone === m.to))).toHaveLength(0);
    expect((await admin('POST', `/admin/broadcasts/${b.id}/cancel`)).status).toBe(200);
    await d.client.workflow.getHandle(broadcastWorkflowId(b.id)).result();
  }, 120_000);
});
