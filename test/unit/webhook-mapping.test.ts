import { describe, expect, it } from 'vitest';
import {
  checkWebhookSignature,
  mapPayload,
  mapWebhookPayload,
  valueAt,
  webhookMappingSchema,
  webhookSignature,
} from '../../domain/webhook-mapping';

const NOW = Date.parse('2025-05-09T10:00:00Z');
const AT = String(NOW / 1000);

describe('webhook signatures', () => {
  const body = Buffer.from('{"id":"r1"}');
  const signed = `sha256=${webhookSignature('whsec_test', AT, body)}`;

  it('accepts the signature of "<timestamp>.<body>" within five minutes, either side', () => {
    expect(checkWebhookSignature('whsec_test', { signature: signed, timestamp: AT }, body, NOW)).toEqual({ ok: true });
    expect(checkWebhookSignature('whsec_test', { signature: signed, timestamp: AT }, body, NOW + 299_000).ok).toBe(
      true,
    );
    expect(checkWebhookSignature('whsec_test', { signature: signed, timestamp: AT }, body, NOW - 299_000).ok).toBe(
      true,
    );
  });

  it('refuses another key, another body, a moved timestamp, an old one, and malformed headers', () => {
    const check = (sig: string | undefined, ts: string | undefined, b = body, now = NOW) =>
      checkWebhookSignature('whsec_test', { signature: sig, timestamp: ts }, b, now);
    expect(check(`sha256=${webhookSignature('whsec_other', AT, body)}`, AT)).toMatchObject({ ok: false });
    expect(check(signed, AT, Buffer.from('{"id":"r2"}'))).toMatchObject({ ok: false });
    // The timestamp is signed: a replay cannot be made fresh by changing the header.
    expect(check(signed, String(NOW / 1000 + 1))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/does not match/),
    });
    expect(check(signed, AT, body, NOW + 301_000)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/is 301 s old; at most 300 s/),
    });
    expect(check(signed, undefined)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/Timestamp is missing/),
    });
    expect(check(undefined, AT)).toMatchObject({ ok: false, reason: expect.stringMatching(/Signature is missing/) });
    expect(check(signed.replace('sha256=', ''), AT)).toMatchObject({ ok: false });
    expect(check('sha256=abc', AT)).toMatchObject({ ok: false });
  });
});

describe('webhook mappings', () => {
  const mapping = webhookMappingSchema.parse({
    records: 'data.customers',
    messageId: 'uid',
    type: 'identify',
    identifiers: { email: 'contact.emails[0]', phone: 'contact.mobile', lazada_user: 'lzd' },
    traits: { firstName: 'name.first', tier: 'loyalty.tier' },
    timestamp: 'updated',
  });

  it('reads dot paths with list indexes, own fields only', () => {
    expect(valueAt({ a: { b: [{ c: 1 }, { c: 2 }] } }, 'a.b[1].c')).toBe(2);
    expect(valueAt({ a: 1 }, 'a.b')).toBeUndefined();
    expect(valueAt({}, 'constructor')).toBeUndefined();
    expect(valueAt({ a: [1] }, 'a[3]')).toBeUndefined();
  });

  it('maps identifiers to traits and platform IDs, and refuses a record that names nobody by index and path', () => {
    const mapped = mapWebhookPayload(mapping, {
      data: {
        customers: [
          {
            uid: 7,
            contact: { emails: ['ana@example.com'], mobile: '+60123456789' },
            lzd: 880,
            name: { first: 'Ana' },
            loyalty: { tier: 'gold' },
            updated: '2025-05-09T09:00:00Z',
          },
          { uid: 8, name: { first: 'Nobody' } },
          { contact: { emails: ['x@example.com'] } },
          'not an object',
        ],
      },
    });
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.items).toEqual([
      {
        index: 0,
        item: {
          type: 'identify',
          messageId: 'webhook:7',
          traits: { firstName: 'Ana', tier: 'gold', email: 'ana@example.com', phone: '+60123456789' },
          context: { externalIds: [{ id: '880', type: 'lazada_user', encoding: 'none', collection: 'users' }] },
          timestamp: '2025-05-09T09:00:00Z',
        },
      },
    ]);
    expect(mapped.rejected).toEqual([
      {
        index: 1,
        reason: 'contact.emails[0], contact.mobile, lzd: none is present; a record must say who it is about',
      },
      { index: 2, reason: 'uid: is required (the record ID, so a payload sent again is stored once)' },
      { index: 3, reason: 'the record must be a JSON object' },
    ]);
  });

  it("runs mapped records through the tracking API's checks, naming the record's index", () => {
    const track = webhookMappingSchema.parse({
      messageId: 'id',
      type: 'track',
      event: 'kind',
      userId: 'user',
      properties: { amount: 'amount' },
      timestamp: 'at',
    });
    const outcome = mapPayload(track, [
      { id: 'a', kind: 'Visit', user: 'u1', at: '2025-05-09T09:00:00Z' },
      { id: 'b', kind: 'Visit', user: 'u2', at: 'not a time' },
      { id: 'c', kind: { nested: true }, user: 'u3' },
      { id: 'd', kind: 'Purchase', user: 'u4', amount: 12.5 },
    ]);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.indexes).toEqual([0, 3]);
    expect(outcome.calls.map((c) => [c.messageId, c.event, c.userId])).toEqual([
      ['webhook:a', 'Visit', 'u1'],
      ['webhook:d', 'Purchase', 'u4'],
    ]);
    expect(outcome.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(outcome.rejected[0]!.reason).toMatch(/^mapped record: .*timestamp/);
    expect(outcome.rejected[1]!.reason).toBe('kind: must be text (the event name)');
  });

  it('refuses mappings that cannot work, naming the field', () => {
    const problem = (m: unknown) => webhookMappingSchema.safeParse(m).error?.issues[0];
    expect(problem({ type: 'track', messageId: 'id', userId: 'u' })).toMatchObject({ path: ['event'] });
    expect(problem({ type: 'identify', messageId: 'id' })).toMatchObject({ path: ['identifiers'] });
    expect(problem({ type: 'identify', messageId: 'a..b', userId: 'u' })).toMatchObject({ path: ['messageId'] });
    expect(problem({ type: 'identify', messageId: 'id', identifiers: { user_id: 'u' } })).toMatchObject({
      path: ['identifiers', 'user_id'],
    });
    expect(problem({ type: 'identify', messageId: 'id', userId: 'u', extra: 1 })).toBeDefined();
  });

  it('refuses a payload without its list, or with more records than a tracking batch', () => {
    expect(mapWebhookPayload(mapping, { data: {} })).toEqual({
      ok: false,
      reason: 'data.customers: must be the list of records (the mapping\'s "records" path)',
    });
    const many = { data: { customers: Array.from({ length: 2501 }, (_, i) => ({ uid: i })) } };
    expect(mapWebhookPayload(mapping, many)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/limit is 2500/),
    });
  });

  it('maps an order record to a canonical order in minor units at its local date, naming a bad field', () => {
    const orders = webhookMappingSchema.parse({
      messageId: 'id',
      type: 'order',
      identifiers: { email: 'email' },
      order: {
        id: 'no',
        total: 'total',
        currency: { value: 'VND' },
        placedAt: 'at',
        timeZone: { value: 'Asia/Ho_Chi_Minh' },
        status: 'state',
      },
    });
    const mapped = mapWebhookPayload(
      orders,
      [
        { id: 1, no: 'A', total: '1250000', at: '2025-03-13T18:30:00Z', state: 'Cancelled', email: 'a@example.vn' },
        { id: 2, no: 'B', total: '99.5', at: '2025-03-13T18:30:00Z', email: 'b@example.vn' },
        { id: 3, no: 'C', total: '100', at: '2025-03-13 18:30', email: 'c@example.vn' },
      ],
      'src_pos',
    );
    if (!mapped.ok) throw new Error(mapped.reason);
    expect(mapped.items[0]!.item).toMatchObject({
      type: 'identify',
      messageId: 'webhook:1',
      traits: { email: 'a@example.vn' },
    });
    expect(mapped.items[0]!.order).toMatchObject({
      sourceId: 'src_pos',
      externalId: 'A',
      currency: 'VND',
      totalMinor: '1250000',
      localDate: '2025-03-14',
      localHour: 1,
      status: 'cancelled',
    });
    expect(mapped.rejected).toEqual([
      { index: 1, reason: 'total: VND has 0 decimal places; 99.5 has 1' },
      { index: 2, reason: 'at: must be an ISO 8601 time with an offset, e.g. 2025-05-09T10:15:00+02:00' },
    ]);
    expect(
      webhookMappingSchema.safeParse({ type: 'order', messageId: 'id', userId: 'u' }).error?.issues[0]?.path,
    ).toEqual(['order']);
  });
});
