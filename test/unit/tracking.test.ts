import { describe, expect, it } from 'vitest';
import {
  bodyTooLarge,
  CALL_TYPES,
  callSchemas,
  fastCallFields,
  LIMITS,
  parseBatch,
  parseIsoDateTime,
  parseSingle,
  sanitise,
  type TrackingCall,
  writeKeyFromBody,
} from '../../domain/tracking';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');

/** A deterministic message-ID source that also counts how often it was asked. */
function messageIds() {
  let calls = 0;
  const next = () => `generated-${++calls}`;
  return { next, count: () => calls };
}

function single(type: TrackingCall['type'], body: unknown): TrackingCall {
  const result = parseSingle(type, body, receivedAt, messageIds().next);
  if (!result.ok) throw new Error(`expected ${type} to parse, got: ${result.reason}`);
  return result.call;
}

function singleReason(type: TrackingCall['type'], body: unknown): string {
  const result = parseSingle(type, body, receivedAt, messageIds().next);
  if (result.ok) throw new Error(`expected ${type} to be rejected`);
  return result.reason;
}

function batch(body: unknown, ids = messageIds()) {
  const result = parseBatch(body, receivedAt, ids.next);
  if (!result.ok) throw new Error(`expected the batch to parse, got: ${result.reason}`);
  return result.result;
}

function batchReason(body: unknown): string {
  const result = parseBatch(body, receivedAt, messageIds().next);
  if (result.ok) throw new Error('expected the batch to be rejected');
  return result.reason;
}

/** `{ a: { a: … { a: 'leaf' } } }` with `levels` objects. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 'leaf' };
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

describe('limits', () => {
  it('matches Segment’s documented limits', () => {
    expect(LIMITS).toEqual({
      eventBytes: 32768,
      batchBytes: 512000,
      batchItems: 2500,
      maxDepth: 32,
      maxStringLength: 65536,
      storedBatchBytes: 5_120_000,
    });
    expect(CALL_TYPES).toEqual(['identify', 'track', 'page', 'screen', 'group', 'alias']);
  });

  it('words size errors for the HTTP layer', () => {
    expect(bodyTooLarge(40123, 'event')).toBe('event is 40123 bytes; the limit is 32768 bytes per event');
    expect(bodyTooLarge(32768, 'event')).toBeUndefined();
    expect(bodyTooLarge(512001, 'batch')).toBe('batch is 512001 bytes; the limit is 512000 bytes per batch');
    expect(bodyTooLarge(512000, 'batch')).toBeUndefined();
  });
});

describe('writeKeyFromBody', () => {
  it('reads a write key sent in the JSON body', () => {
    expect(writeKeyFromBody({ writeKey: 'wk_live_123', batch: [] })).toBe('wk_live_123');
  });

  it('returns undefined when there is no usable key', () => {
    expect(writeKeyFromBody({ batch: [] })).toBeUndefined();
    expect(writeKeyFromBody({ writeKey: '  ' })).toBeUndefined();
    expect(writeKeyFromBody({ writeKey: 42 })).toBeUndefined();
    expect(writeKeyFromBody('wk_live_123')).toBeUndefined();
    expect(writeKeyFromBody(null)).toBeUndefined();
  });
});

describe('sanitise', () => {
  it('removes NUL characters from strings and keys at any depth', () => {
    const dirty = {
      'na\u0000me': 'Jo\u0000hn',
      list: ['a\u0000b', { note: '\u0000' }],
      count: 3,
      ok: true,
      none: null,
    };
    expect(sanitise(dirty)).toEqual({
      ok: true,
      value: { name: 'John', list: ['ab', { note: '' }], count: 3, ok: true, none: null },
    });
  });

  it('keeps emoji, right-to-left and CJK text exactly', () => {
    const text = {
      emoji: '👩‍👩‍👧 🎉 🇯🇵',
      arabic: 'مرحبا بالعالم',
      hebrew: 'שלום',
      japanese: '東京都渋谷区',
      korean: '안녕하세요',
      名前: 'José Ñúñez',
    };
    const result = sanitise(text);
    expect(result).toEqual({ ok: true, value: text });
    expect(JSON.stringify(result.ok && result.value)).toBe(JSON.stringify(text));
  });

  it('replaces lone surrogates, which PostgreSQL jsonb cannot store', () => {
    expect(sanitise({ broken: 'a\ud800b', tail: 'c\udc00' })).toEqual({
      ok: true,
      value: { broken: 'a\ufffdb', tail: 'c\ufffd' },
    });
  });

  it('accepts 32 levels of nesting and refuses 33, arrays included', () => {
    expect(sanitise(nested(32)).ok).toBe(true);
    expect(sanitise(nested(33), 'properties')).toEqual({
      ok: false,
      reason: 'properties nested deeper than 32 levels',
    });
    expect(sanitise({ list: [[nested(31)]] }, 'traits')).toEqual({
      ok: false,
      reason: 'traits nested deeper than 32 levels',
    });
  });

  it('refuses strings longer than the limit without quoting them', () => {
    expect(sanitise({ text: 'x'.repeat(65_536) }).ok).toBe(true);
    expect(sanitise({ text: 'x'.repeat(65_537) })).toEqual({
      ok: false,
      reason: 'value contains a string longer than 65536 characters',
    });
  });

  it('refuses values JSON cannot carry', () => {
    const notJson =
      'value contains a value that is not JSON (use strings, numbers, booleans, null, arrays and objects)';
    const badNumber = 'value contains a number JSON cannot represent (NaN or Infinity)';
    expect(sanitise({ n: Number.NaN })).toEqual({ ok: false, reason: badNumber });
    expect(sanitise([Number.POSITIVE_INFINITY])).toEqual({ ok: false, reason: badNumber });
    expect(sanitise({ u: undefined })).toEqual({ ok: false, reason: notJson });
    expect(sanitise({ f: () => 1 })).toEqual({ ok: false, reason: notJson });
    expect(sanitise({ d: new Date(0) })).toEqual({ ok: false, reason: notJson });
    expect(sanitise({ big: 10n })).toEqual({ ok: false, reason: notJson });
  });

  it('keeps a "__proto__" key as data instead of changing the prototype', () => {
    const result = sanitise(JSON.parse('{"__proto__": {"admin": true}}'));
    if (!result.ok) throw new Error(result.reason);
    const value = result.value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as { admin?: unknown }).admin).toBeUndefined();
  });
});

describe('parseSingle: a normalised call', () => {
  it('turns a full track call into a stored call', () => {
    const call = single('track', {
      messageId: 'msg-1',
      userId: 'u1',
      anonymousId: 'a1',
      event: 'Order Completed',
      properties: { total: 42.5, currency: 'EUR' },
      traits: { ignored: 'traits belong to identify and group' },
      context: { ip: '203.0.113.9', traits: { email: 'kept-in-context' } },
      integrations: { All: true },
      timestamp: '2024-05-01T11:58:00Z',
      type: 'identify',
      unknownField: 'dropped',
    });
    expect(call).toStrictEqual({
      type: 'track',
      messageId: 'msg-1',
      userId: 'u1',
      anonymousId: 'a1',
      event: 'Order Completed',
      properties: { total: 42.5, currency: 'EUR' },
      traits: {},
      context: { ip: '203.0.113.9', traits: { email: 'kept-in-context' } },
      integrations: { All: true },
      originalTimestamp: new Date('2024-05-01T11:58:00Z'),
      receivedAt,
      timestamp: new Date('2024-05-01T11:58:00Z'),
      warnings: [],
    });
  });

  it('keeps only the fields each call type has', () => {
    expect(single('identify', { userId: 'u1', traits: { plan: 'pro' }, properties: { x: 1 } })).toMatchObject({
      type: 'identify',
      traits: { plan: 'pro' },
      properties: {},
    });
    const page = single('page', {
      anonymousId: 'a1',
      name: 'Pricing',
      category: 'Docs',
      properties: { path: '/pricing' },
    });
    expect(page).toMatchObject({
      type: 'page',
      name: 'Pricing',
      category: 'Docs',
      properties: { path: '/pricing' },
      traits: {},
    });
    const screen = single('screen', { userId: 'u1', name: 'Home', category: 'not a screen field' });
    expect(screen).toMatchObject({ type: 'screen', name: 'Home' });
    expect(screen.category).toBeUndefined();
    expect(single('group', { userId: 'u1', groupId: 'g1', traits: { name: 'Acme' } })).toMatchObject({
      type: 'group',
      groupId: 'g1',
      traits: { name: 'Acme' },
    });
    const alias = single('alias', { previousId: 'a1', userId: 'u1' });
    expect(alias).toMatchObject({ type: 'alias', previousId: 'a1', userId: 'u1', properties: {}, traits: {} });
  });

  it('uses newMessageId only when the call has no messageId', () => {
    const ids = messageIds();
    const generated = parseSingle('track', { userId: 'u1', event: 'E' }, receivedAt, ids.next);
    expect(generated).toMatchObject({ ok: true, call: { messageId: 'generated-1' } });
    const given = parseSingle('track', { userId: 'u1', event: 'E', messageId: 'm-7' }, receivedAt, ids.next);
    expect(given).toMatchObject({ ok: true, call: { messageId: 'm-7' } });
    parseSingle('track', { userId: 'u1' }, receivedAt, ids.next);
    expect(ids.count()).toBe(1);
  });

  it('checks messageId', () => {
    expect(single('track', { userId: 'u1', event: 'E', messageId: 'm'.repeat(100) }).messageId).toBe('m'.repeat(100));
    expect(singleReason('track', { userId: 'u1', event: 'E', messageId: 'm'.repeat(101) })).toBe(
      'messageId is longer than 100 characters',
    );
    expect(singleReason('track', { userId: 'u1', event: 'E', messageId: 12 })).toBe('messageId must be a string');
  });
});

describe('parseSingle: required fields', () => {
  const eitherId = 'userId or anonymousId is required: send at least one of them';

  it('needs userId or anonymousId, non-empty after trimming', () => {
    expect(singleReason('identify', { traits: {} })).toBe(eitherId);
    expect(singleReason('track', { event: 'E', userId: '', anonymousId: '   ' })).toBe(eitherId);
    expect(singleReason('page', { userId: null })).toBe(eitherId);
    expect(single('page', { userId: null, anonymousId: 'a1' }).anonymousId).toBe('a1');
  });

  it('needs a non-empty event on track', () => {
    expect(singleReason('track', { userId: 'u1' })).toBe('event is required for track calls');
    expect(singleReason('track', { userId: 'u1', event: '  ' })).toBe('event is required for track calls');
    expect(singleReason('track', { userId: 'u1', event: 5 })).toBe('event must be a string');
  });

  it('needs groupId on group', () => {
    expect(singleReason('group', { userId: 'u1' })).toBe('groupId is required for group calls');
  });

  it('needs previousId and userId on alias', () => {
    expect(singleReason('alias', { userId: 'u1' })).toBe('previousId is required for alias calls');
    expect(singleReason('alias', { previousId: 'a1', anonymousId: 'a2' })).toBe('userId is required for alias calls');
  });

  it('tells the client what shape a body should have', () => {
    expect(singleReason('track', [])).toBe(
      'the body must be a JSON object with the track call\'s fields, e.g. {"userId":"u1","event":"Order Completed","properties":{"total":42}}',
    );
    expect(singleReason('delete' as TrackingCall['type'], {})).toBe(
      'call type must be one of identify, track, page, screen, group, alias',
    );
  });

  it('refuses a call over 32 KB, counting bytes rather than characters', () => {
    // {"userId":"u1","event":"Big","properties":{"blob":""}} is 54 bytes.
    const body = (blob: string) => ({ userId: 'u1', event: 'Big', properties: { blob } });
    expect(singleReason('track', body('x'.repeat(40_069)))).toBe(
      'event is 40123 bytes; the limit is 32768 bytes per event',
    );
    expect(single('track', body('x'.repeat(32_714))).event).toBe('Big');
    // 10,905 euro signs are 32,715 bytes in UTF-8 but only 10,905 characters.
    expect(singleReason('track', body('€'.repeat(10_905)))).toBe(
      'event is 32769 bytes; the limit is 32768 bytes per event',
    );
  });
});

describe('parseSingle: identifiers', () => {
  it('converts numeric IDs to decimal strings', () => {
    const call = single('group', { userId: 42, anonymousId: 0, groupId: 9_007_199_254_740_991 });
    expect(call).toMatchObject({ userId: '42', anonymousId: '0', groupId: '9007199254740991' });
    expect(single('alias', { previousId: 7, userId: 1.5 })).toMatchObject({ previousId: '7', userId: '1.5' });
  });

  it('refuses numbers too large to have arrived intact', () => {
    expect(singleReason('identify', { userId: 2 ** 53 + 2 })).toBe(
      'userId is a number too large to be exact: send it as a string',
    );
  });

  it('trims IDs and enforces length, type and control characters', () => {
    expect(single('identify', { userId: '  u1 ' }).userId).toBe('u1');
    expect(single('identify', { userId: 'u'.repeat(256) }).userId).toHaveLength(256);
    expect(singleReason('identify', { userId: 'u'.repeat(257) })).toBe('userId is longer than 256 characters');
    expect(singleReason('identify', { anonymousId: 'a\nb' })).toBe('anonymousId contains control characters');
    expect(singleReason('identify', { userId: 'a\u0000b' })).toBe('userId contains control characters');
    expect(singleReason('identify', { userId: true })).toBe('userId must be a string or a number');
    expect(singleReason('group', { userId: 'u1', groupId: { id: 1 } })).toBe('groupId must be a string or a number');
  });
});

describe('parseSingle: objects', () => {
  it('requires properties, traits, context and integrations to be objects', () => {
    expect(singleReason('track', { userId: 'u1', event: 'E', properties: [1, 2] })).toBe(
      'properties must be an object',
    );
    expect(singleReason('track', { userId: 'u1', event: 'E', properties: 'cheap' })).toBe(
      'properties must be an object',
    );
    expect(singleReason('identify', { userId: 'u1', traits: ['vip'] })).toBe('traits must be an object');
    expect(singleReason('identify', { userId: 'u1', context: 'web' })).toBe('context must be an object');
    expect(singleReason('identify', { userId: 'u1', integrations: true })).toBe('integrations must be an object');
  });

  it('removes null bytes from stored text and keeps other text as sent', () => {
    const call = single('track', {
      userId: 'u1',
      event: 'Order\u0000 Completed',
      properties: { 'not\u0000e': 'gift for 母\u0000 🎁', city: 'תל אביב' },
      context: { page: { title: 'Se\u0000arch' } },
    });
    expect(call.event).toBe('Order Completed');
    expect(call.properties).toEqual({ note: 'gift for 母 🎁', city: 'תל אביב' });
    expect(call.context).toEqual({ page: { title: 'Search' } });
  });

  it('refuses objects nested too deeply', () => {
    expect(singleReason('track', { userId: 'u1', event: 'E', properties: nested(33) })).toBe(
      'properties nested deeper than 32 levels',
    );
    expect(singleReason('identify', { userId: 'u1', traits: nested(33) })).toBe('traits nested deeper than 32 levels');
    expect(single('track', { userId: 'u1', event: 'E', properties: nested(32) }).properties).toEqual(nested(32));
  });
});

describe('timestamps', () => {
  it('reads ISO 8601 date-times with a zone, and bare dates as midnight UTC', () => {
    expect(parseIsoDateTime('2024-05-01T12:00:00Z')).toEqual(new Date('2024-05-01T12:00:00.000Z'));
    expect(parseIsoDateTime('2024-05-01T14:30:00+02:30')).toEqual(new Date('2024-05-01T12:00:00.000Z'));
    expect(parseIsoDateTime('2024-05-01T07:00:00-0500')).toEqual(new Date('2024-05-01T12:00:00.000Z'));
    expect(parseIsoDateTime('2024-05-01T12:00Z')).toEqual(new Date('2024-05-01T12:00:00.000Z'));
    expect(parseIsoDateTime('2024-05-01T12:00:00.123456Z')).toEqual(new Date('2024-05-01T12:00:00.123Z'));
    expect(parseIsoDateTime('2024-05-01')).toEqual(new Date('2024-05-01T00:00:00.000Z'));
    expect(parseIsoDateTime('0099-01-01T00:00:00Z')?.getUTCFullYear()).toBe(99);
  });

  it('reads what toISOString writes as any other form of the same instant', () => {
    for (const text of ['2024-02-29T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '0100-03-01T00:00:00.000Z']) {
      expect(parseIsoDateTime(text)?.toISOString(), text).toBe(text);
      expect(parseIsoDateTime(text.replace('Z', '+00:00'))?.toISOString(), text).toBe(text);
    }
    // Years 0–99 (which Date.UTC reads as 1900–1999) and days a month lacks.
    expect(parseIsoDateTime('0050-06-01T00:00:00.000Z')?.getUTCFullYear()).toBe(50);
    for (const text of ['2023-02-29T00:00:00.000Z', '2024-04-31T00:00:00.000Z', '2024-13-01T00:00:00.000Z']) {
      expect(parseIsoDateTime(text), text).toBeUndefined();
    }
  });

  it('refuses what is not an unambiguous ISO 8601 date-time', () => {
    for (const text of [
      '2024-05-01T12:00:00', // no zone: would depend on the server's zone
      '2024-02-30T00:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T12:60:00Z',
      '2024-05-01T12:00:00+25:00',
      '05/01/2024',
      'yesterday',
      'Wed, 01 May 2024 12:00:00 GMT',
      '',
    ]) {
      expect(parseIsoDateTime(text), text).toBeUndefined();
    }
  });

  it('rejects a call with a bad timestamp, originalTimestamp or sentAt', () => {
    const call = { userId: 'u1', event: 'E' };
    expect(singleReason('track', { ...call, timestamp: 'yesterday' })).toBe('timestamp is not an ISO 8601 date-time');
    expect(singleReason('track', { ...call, timestamp: 1714564800000 })).toBe('timestamp is not an ISO 8601 date-time');
    expect(singleReason('track', { ...call, originalTimestamp: '2024-05-01 12:00' })).toBe(
      'originalTimestamp is not an ISO 8601 date-time',
    );
    expect(singleReason('track', { ...call, sentAt: '2024-13-01T00:00:00Z' })).toBe(
      'sentAt is not an ISO 8601 date-time',
    );
  });

  it('corrects a device clock that runs 2 hours behind', () => {
    // The device says it happened at 09:59 and was sent at 10:00; we received it at 12:00.
    const call = single('track', {
      userId: 'u1',
      event: 'E',
      timestamp: '2024-05-01T09:59:00Z',
      sentAt: '2024-05-01T10:00:00Z',
    });
    expect(call.timestamp).toEqual(new Date('2024-05-01T11:59:00.000Z'));
    expect(call.originalTimestamp).toEqual(new Date('2024-05-01T09:59:00.000Z'));
    expect(call.sentAt).toEqual(new Date('2024-05-01T10:00:00.000Z'));
    expect(call.timestampFlag).toBeUndefined();
    expect(call.warnings).toEqual([]);
  });

  it('corrects a device whose clock says 1970 to just before receipt, without a flag', () => {
    const call = single('track', {
      userId: 'u1',
      event: 'E',
      timestamp: '1970-01-01T00:00:10Z',
      sentAt: '1970-01-01T00:00:30Z',
    });
    expect(call.timestamp).toEqual(new Date('2024-05-01T11:59:40.000Z'));
    expect(call.originalTimestamp).toEqual(new Date('1970-01-01T00:00:10.000Z'));
    expect(call.timestampFlag).toBeUndefined();
  });

  it('uses the timestamp as sent when there is no sentAt, and receivedAt when there is no timestamp', () => {
    expect(single('track', { userId: 'u1', event: 'E', timestamp: '2024-04-30T08:00:00Z' }).timestamp).toEqual(
      new Date('2024-04-30T08:00:00.000Z'),
    );
    expect(single('track', { userId: 'u1', event: 'E', originalTimestamp: '2024-04-30T08:00:00Z' }).timestamp).toEqual(
      new Date('2024-04-30T08:00:00.000Z'),
    );
    const noTime = single('track', { userId: 'u1', event: 'E', sentAt: '2024-05-01T11:00:00Z' });
    expect(noTime.timestamp).toBe(receivedAt);
    expect(noTime.originalTimestamp).toBeUndefined();
  });

  it('flags a year-3000 timestamp and uses receivedAt instead', () => {
    const call = single('track', { userId: 'u1', event: 'E', timestamp: '3000-01-01T00:00:00Z' });
    expect(call.timestamp).toBe(receivedAt);
    expect(call.timestampFlag).toBe('implausible');
    expect(call.originalTimestamp).toEqual(new Date('3000-01-01T00:00:00.000Z'));
    expect(call.warnings).toEqual([
      'timestamp is before 2000-01-01 or more than 24 hours after it was received; receivedAt used instead',
    ]);
  });

  it('draws the plausible window at 2000-01-01 and 24 hours ahead', () => {
    const at = (timestamp: string) => single('track', { userId: 'u1', event: 'E', timestamp });
    expect(at('1999-12-31T23:59:59Z').timestampFlag).toBe('implausible');
    expect(at('2000-01-01T00:00:00Z').timestampFlag).toBeUndefined();
    expect(at('2024-05-02T12:00:00Z').timestampFlag).toBeUndefined();
    expect(at('2024-05-02T12:00:01Z').timestampFlag).toBe('implausible');
  });
});

describe('time zone and locale', () => {
  const withContext = (context: Record<string, unknown>) => single('identify', { userId: 'u1', context });

  it('keeps a valid IANA time zone', () => {
    expect(withContext({ timezone: 'Asia/Tokyo' })).toMatchObject({ timezone: 'Asia/Tokyo', warnings: [] });
  });

  it('ignores an invalid time zone with a warning, leaving context as sent', () => {
    const call = withContext({ timezone: 'Mars/Base' });
    expect(call.timezone).toBeUndefined();
    expect(call.warnings).toEqual(['context.timezone "Mars/Base" is not an IANA time zone; ignored']);
    expect(call.context).toEqual({ timezone: 'Mars/Base' });
    expect(withContext({ timezone: '+05:00' }).warnings).toEqual([
      'context.timezone "+05:00" is not an IANA time zone; ignored',
    ]);
    expect(withContext({ timezone: 330 }).warnings).toEqual(['context.timezone is not an IANA time zone; ignored']);
  });

  it('canonicalises the locale', () => {
    expect(withContext({ locale: 'en-us' }).locale).toBe('en-US');
    expect(withContext({ locale: 'zh-hant-tw' }).locale).toBe('zh-Hant-TW');
    expect(withContext({ locale: 'pt_BR' }).locale).toBe('pt-BR');
  });

  it('ignores an invalid locale with a warning', () => {
    const call = withContext({ locale: 'not a locale' });
    expect(call.locale).toBeUndefined();
    expect(call.warnings).toEqual(['context.locale "not a locale" is not a BCP 47 language tag; ignored']);
  });
});

describe('parseBatch', () => {
  it('keeps the good items and names the bad ones by index', () => {
    const result = batch({
      batch: [
        { type: 'identify', userId: 'u1', traits: { plan: 'pro' } },
        { type: 'track', userId: 'u1' },
        { type: 'page', anonymousId: 'a1', name: 'Home' },
        { type: 'track', event: 'E' },
        { type: 'alias', previousId: 'a1', userId: 'u1' },
      ],
    });
    expect(result.calls.map((c) => [c.type, c.messageId])).toEqual([
      ['identify', 'generated-1'],
      ['page', 'generated-2'],
      ['alias', 'generated-3'],
    ]);
    expect(result.rejected).toEqual([
      { index: 1, reason: 'event is required for track calls' },
      { index: 3, reason: 'userId or anonymousId is required: send at least one of them' },
    ]);
  });

  it('rejects unknown, missing and malformed item types', () => {
    const result = batch({
      batch: [
        { type: 'purchase', userId: 'u1' },
        { userId: 'u1', event: 'E' },
        'track',
        null,
        { type: 'screen', userId: 'u1', name: 'Home' },
      ],
    });
    const notAnObject =
      'the item must be a JSON object with a type, e.g. {"type":"track","userId":"u1","event":"Order Completed","properties":{"total":42}}';
    expect(result.rejected).toEqual([
      { index: 0, reason: 'type must be one of identify, track, page, screen, group, alias' },
      { index: 1, reason: 'type must be one of identify, track, page, screen, group, alias' },
      { index: 2, reason: notAnObject },
      { index: 3, reason: notAnObject },
    ]);
    expect(result.calls.map((c) => c.type)).toEqual(['screen']);
  });

  it('deep-merges batch context and integrations into each item, the item’s keys winning', () => {
    const result = batch({
      context: { library: { name: 'analytics-node', version: '1.0' }, locale: 'en-GB' },
      integrations: { All: false, Mixpanel: { sampled: true } },
      batch: [
        {
          type: 'track',
          userId: 'u1',
          event: 'E',
          context: { library: { version: '2.0' }, ip: '198.51.100.1' },
          integrations: { Mixpanel: { region: 'eu' } },
        },
        { type: 'identify', userId: 'u2', context: { locale: 'fr-fr' } },
      ],
    });
    expect(result.calls[0]?.context).toEqual({
      library: { name: 'analytics-node', version: '2.0' },
      locale: 'en-GB',
      ip: '198.51.100.1',
    });
    expect(result.calls[0]?.integrations).toEqual({ All: false, Mixpanel: { sampled: true, region: 'eu' } });
    expect(result.calls[0]?.locale).toBe('en-GB');
    expect(result.calls[1]?.context).toEqual({ library: { name: 'analytics-node', version: '1.0' }, locale: 'fr-fr' });
    expect(result.calls[1]?.locale).toBe('fr-FR');
  });

  it('applies batch sentAt to items without their own', () => {
    const result = batch({
      sentAt: '2024-05-01T10:00:00Z',
      batch: [
        { type: 'track', userId: 'u1', event: 'E', timestamp: '2024-05-01T09:00:00Z' },
        { type: 'track', userId: 'u1', event: 'E', timestamp: '2024-05-01T09:00:00Z', sentAt: '2024-05-01T09:30:00Z' },
      ],
    });
    expect(result.calls.map((c) => c.sentAt)).toEqual([
      new Date('2024-05-01T10:00:00Z'),
      new Date('2024-05-01T09:30:00Z'),
    ]);
    expect(result.calls.map((c) => c.timestamp)).toEqual([
      new Date('2024-05-01T11:00:00Z'),
      new Date('2024-05-01T11:30:00Z'),
    ]);
  });

  it('rejects an item over 32 KB and keeps its neighbours', () => {
    // {"type":"track","userId":"u1","event":"Big","properties":{"blob":""}} is 69 bytes.
    const big = (blobLength: number) => ({
      type: 'track',
      userId: 'u1',
      event: 'Big',
      properties: { blob: 'x'.repeat(blobLength) },
    });
    const result = batch({
      batch: [
        { type: 'track', userId: 'u1', event: 'Before' },
        big(33_792 - 69),
        big(32_768 - 69),
        { type: 'track', userId: 'u1', event: 'After' },
      ],
    });
    expect(result.rejected).toEqual([{ index: 1, reason: 'event is 33792 bytes; the limit is 32768 bytes per event' }]);
    expect(result.calls.map((c) => c.event)).toEqual(['Before', 'Big', 'After']);
  });

  it('accepts 2500 items and refuses 2501', () => {
    const item = { type: 'track', userId: 'u1', event: 'E', messageId: 'm' };
    expect(batch({ batch: Array.from({ length: 2500 }, () => item) }).calls).toHaveLength(2500);
    expect(batchReason({ batch: Array.from({ length: 2501 }, () => item) })).toBe(
      'batch has 2501 items; the limit is 2500 per batch',
    );
    expect(batchReason({ batch: Array.from({ length: 3000 }, () => item) })).toBe(
      'batch has 3000 items; the limit is 2500 per batch',
    );
  });

  it('explains what shape a batch body must have', () => {
    const example = '{"batch":[{"type":"track","userId":"u1","event":"Order Completed"}]}';
    expect(batchReason('batch')).toBe(`the body must be a JSON object like ${example}`);
    expect(batchReason([{ type: 'track' }])).toBe(`the body must be a JSON object like ${example}`);
    expect(batchReason({})).toBe(`batch must be an array of calls, e.g. ${example}`);
    expect(batchReason({ batch: { type: 'track' } })).toBe(`batch must be an array of calls, e.g. ${example}`);
    expect(batchReason({ batch: [] })).toBe('batch is empty: send at least one call');
  });

  it('rejects the whole batch when its shared fields are invalid', () => {
    const items = [{ type: 'track', userId: 'u1', event: 'E' }];
    expect(batchReason({ batch: items, context: ['web'] })).toBe('context must be an object');
    expect(batchReason({ batch: items, integrations: 'all' })).toBe('integrations must be an object');
    expect(batchReason({ batch: items, sentAt: 'now' })).toBe('sentAt is not an ISO 8601 date-time');
    expect(batchReason({ batch: items, context: nested(33) })).toBe('context nested deeper than 32 levels');
  });

  it('converts numeric IDs and removes null bytes in batch items too', () => {
    const result = batch({ batch: [{ type: 'identify', userId: 1234, traits: { name: 'Ana\u0000 María' } }] });
    expect(result.calls[0]).toMatchObject({ userId: '1234', traits: { name: 'Ana María' } });
  });

  it('generates message IDs only for accepted items that lack one', () => {
    const ids = messageIds();
    batch(
      {
        batch: [
          { type: 'track', userId: 'u1', event: 'E', messageId: 'own' },
          { type: 'track', userId: 'u1' },
          { type: 'track', userId: 'u1', event: 'E' },
        ],
      },
      ids,
    );
    expect(ids.count()).toBe(1);
  });
});

describe('inputs found by the fuzz test', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const id = () => 'generated-id';

  it('refuses years PostgreSQL cannot store (0, 10000) as not ISO 8601 date-times', () => {
    for (const timestamp of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00', '0000-01-01T00:30:00+01:00']) {
      const result = parseSingle('track', { userId: 'u', event: 'E', timestamp }, now, id);
      expect(result.ok, timestamp).toBe(false);
    }
    expect(parseSingle('track', { userId: 'u', event: 'E', timestamp: '0001-01-01T00:00:00Z' }, now, id).ok).toBe(true);
  });

  it('refuses thousands of nesting levels without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const result = parseSingle('track', { userId: 'u', event: 'E', properties: { a: deep } }, now, id);
    expect(result).toEqual({ ok: false, reason: 'the event is nested deeper than 32 levels' });
    const batch = parseBatch(
      {
        batch: [
          { type: 'track', userId: 'u', event: 'E', properties: { a: deep } },
          { type: 'track', userId: 'v', event: 'E' },
        ],
      },
      now,
      id,
    );
    expect(batch.ok && batch.result.rejected.map((r) => r.index)).toEqual([0]);
    expect(batch.ok && batch.result.calls.map((c) => c.userId)).toEqual(['v']);
  });

  it('refuses keys longer than 256 characters (trait names are indexed)', () => {
    const result = parseSingle('identify', { userId: 'u', traits: { ['k'.repeat(300)]: 1 } }, now, id);
    expect(result).toEqual({ ok: false, reason: 'traits has a key longer than 256 characters' });
  });

  it('stores a message ID with a lone surrogate as PostgreSQL will hold it, so deduplication matches', () => {
    const result = parseSingle('track', { userId: 'u', event: 'E', messageId: 'lone-\ud800' }, now, id);
    expect(result.ok && result.call.messageId).toBe('lone-\ufffd');
  });
});

describe('the fast path (no zod) for calls that break no rule', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 300; i++) deep = [deep];
  /** Values of every kind each field may meet, good and bad. */
  const values: unknown[] = [
    undefined,
    null,
    'u1',
    '  u1 ',
    '',
    '   ',
    'a\u0000b',
    'bell\u0007',
    'lone-\ud800',
    'x'.repeat(101),
    'x'.repeat(257),
    'x'.repeat(65_537),
    42,
    -0,
    1.5,
    2 ** 60,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    [],
    ['a'],
    {},
    { plan: 'pro', nested: { list: [1, 'two', null] } },
    { 'k\u0000ey': 'v\u0000' },
    { ['k'.repeat(300)]: 1 },
    { d: new Date(0) },
    { deep },
    '2024-05-01T10:00:00Z',
    '2024-05-01T10:00:00.123+05:30',
    '2024-05-01',
    '2024-02-30T10:00:00Z',
    '2024-05-01T10:00:00',
    '0000-01-01T00:00:00Z',
  ];
  const bases: Record<(typeof CALL_TYPES)[number], Record<string, unknown>> = {
    identify: { userId: 'u1', traits: { plan: 'pro' } },
    track: { userId: 'u1', event: 'Order Completed', properties: { total: 42 }, timestamp: '2024-05-01T10:00:00Z' },
    page: { anonymousId: 'a1', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } },
    screen: { userId: 'u1', name: 'Home' },
    group: { userId: 'u1', groupId: 'g1', traits: { name: 'Acme' } },
    alias: { previousId: 'a1', userId: 'u1' },
  };
  const fieldNames = [
    'messageId',
    'userId',
    'anonymousId',
    'previousId',
    'groupId',
    'event',
    'name',
    'category',
    'properties',
    'traits',
    'context',
    'integrations',
    'timestamp',
    'originalTimestamp',
    'sentAt',
    'writeKey',
    'type',
    'unknownField',
  ];

  it('answers exactly what the schemas answer, or leaves the call to them', () => {
    let fast = 0;
    let checked = 0;
    for (const type of CALL_TYPES) {
      for (const field of fieldNames) {
        for (const value of values) {
          {
            const body = { ...bases[type], extra: { deep: [1] }, [field]: value };
            const fields = fastCallFields(type, body);
            checked++;
            if (fields === undefined) continue;
            fast++;
            const parsed = callSchemas[type].safeParse(body);
            expect(parsed.success, `${type}.${field} = ${String(value).slice(0, 40)}`).toBe(true);
            // zod's output lists absent fields as undefined; the fast path leaves them out.
            const expected = Object.fromEntries(Object.entries(parsed.data!).filter(([, v]) => v !== undefined));
            expect(fields, `${type}.${field} = ${String(value).slice(0, 40)}`).toEqual(expected);
          }
        }
      }
    }
    // It must also take the common path, or it saves nothing.
    expect(fast).toBeGreaterThan(checked / 3);
  });

  it('leaves a call nesting too deeply in a field the schema ignores to the slow path', () => {
    expect(fastCallFields('track', { ...bases.track, ignored: { deep } })).toBeUndefined();
    expect(fastCallFields('track', { ...bases.track, ignored: { shallow: [1] } })).toEqual(
      callSchemas.track.parse(bases.track),
    );
  });
});
