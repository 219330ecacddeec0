import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_TYPES, CallType, LIMITS } from '../../domain/tracking';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { IngestionHarness, startIngestion } from '../support/ingestion';

/**
 * A seeded storm of malformed and hostile requests against the real ingestion server, with good
 * events mixed in. Every request is built before the first is sent, so one seed always means the
 * same requests (but for the write key and the clock): set MERIDIAN_FUZZ_SEED to try another storm.
 */

const SEED = Number(process.env.MERIDIAN_FUZZ_SEED ?? 20_240_611);
const REQUESTS = 3_200;
const CONCURRENCY = 8;
/** The answers the Tracking API may give; anything else (a 5xx above all) is a bug. */
const DOCUMENTED_STATUSES = [200, 400, 401, 413, 415, 429];
const REFUSALS = [400, 401, 413, 415];
/** Bad items carry made-up personal values like leak-17@example.com; no answer may repeat one. */
const LEAK_MARKER = /leak-\d+/;
const MAX_429_RETRIES = 5;
/** How many problems a failure message lists before "… and N more". */
const SHOWN = 25;

type Call = Record<string, unknown>;
/** What must happen to one call: kept, listed as rejected, or either (but never silently lost). */
type ItemExpectation = 'stored' | 'rejected' | 'either';
/** What must happen to a request as a whole. */
type RequestExpectation = 'ok' | 'refused' | 'either';

interface SentItem {
  label: string;
  expect: ItemExpectation;
  /** The messageId as sent, when the database can be asked for it (a string without NUL). */
  messageId?: string;
  /** A valid track call whose stored copy the admin lookup can show. */
  spot?: { userId: string; event: string; properties: Call };
  preview: string;
}

interface FuzzRequest {
  n: number;
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  whole: RequestExpectation;
  batch: boolean;
  /** In batch order; one for a single call. */
  items: SentItem[];
}

interface Answer {
  status: number;
  text: string;
  json: any;
  retries: number;
}

describe('Ingestion under a storm of malformed and hostile requests', () => {
  let d: TestDeployment;
  let h: IngestionHarness;
  let source: { id: string; writeKey: string };
  let requests: FuzzRequest[];
  let answers: Answer[];

  beforeAll(async () => {
    d = await createTestDeployment('fuzz');
    h = await startIngestion(d);
    source = await h.createSource('Fuzzed web shop', 'eu');
    requests = new Fuzzer(SEED, source.writeKey).storm(REQUESTS);
    const started = Date.now();
    answers = await sendAll(h.base, requests);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const statuses = JSON.stringify(countBy(answers.map((a) => String(a.status))));
    const retried = answers.reduce((sum, a) => sum + a.retries, 0);
    console.log(
      `fuzz seed ${SEED}: ${requests.length} requests in ${seconds} s, statuses ${statuses}, 429 retries ${retried}`,
    );
  }, 170_000);
  afterAll(async () => {
    await h?.close();
    await d?.close();
  });

  const describeRequest = (i: number) => {
    const r = requests[i]!;
    const a = answers[i]!;
    return `#${r.n} ${r.kind} POST ${r.path} → ${a.status} ${a.text.slice(0, 160)}`;
  };

  /** Requests grouped by kind, most frequent first, with one example each. */
  const byKind = (indices: number[]) => {
    const groups = new Map<string, number[]>();
    for (const i of indices) groups.set(requests[i]!.kind, [...(groups.get(requests[i]!.kind) ?? []), i]);
    return [...groups.values()]
      .sort((a, b) => b.length - a.length)
      .map((g) => `${g.length}× ${requests[g[0]!]!.kind}, e.g. ${describeRequest(g[0]!)}`)
      .join('\n');
  };

  it('answers thousands of malformed requests without a single server error', () => {
    expect(requests.length).toBeGreaterThanOrEqual(3_000);
    const bad = answers.flatMap((a, i) => (DOCUMENTED_STATUSES.includes(a.status) ? [] : [i]));
    expect(bad.length, `answers outside ${DOCUMENTED_STATUSES}, by kind of request:\n${byKind(bad)}`).toBe(0);
  });

  it('explains every refusal in a sentence, without repeating the personal values it was sent', () => {
    const problems: string[] = [];
    answers.forEach((a, i) => {
      if (LEAK_MARKER.test(a.text)) problems.push(`repeats a personal value: ${describeRequest(i)}`);
      if (a.status === 0) return;
      if (a.status !== 200 && !isSentence(a.json?.error)) problems.push(`no error sentence: ${describeRequest(i)}`);
      for (const r of a.json?.rejected ?? []) {
        if (!isSentence(r.reason)) problems.push(`rejected item ${r.index} has no reason: ${describeRequest(i)}`);
      }
    });
    expect(problems.length, shown(problems)).toBe(0);
  });

  it('keeps the valid calls and refuses the invalid ones, item by item', () => {
    const problems: string[] = [];
    const serverErrors: string[] = []; // listed last: the first test names their causes
    requests.forEach((r, i) => {
      const a = answers[i]!;
      const list = a.status >= 500 ? serverErrors : problems;
      if (r.whole === 'ok' && a.status !== 200) list.push(`should be accepted: ${describeRequest(i)}`);
      if (r.whole === 'refused' && !REFUSALS.includes(a.status)) list.push(`should be refused: ${describeRequest(i)}`);
      if (a.status !== 200) return;
      const kept = acknowledged(r, a);
      r.items.forEach((item, j) => {
        if (item.expect === 'stored' && !kept[j])
          problems.push(`item ${j} (${item.label}) rejected: ${describeRequest(i)} ${item.preview}`);
        if (item.expect === 'rejected' && kept[j])
          problems.push(`item ${j} (${item.label}) accepted: ${describeRequest(i)} ${item.preview}`);
      });
    });
    problems.push(...serverErrors);
    expect(problems.length, shown(problems)).toBe(0);
  });

  it('stores every good event exactly once, and nothing it did not acknowledge', async () => {
    const sql = d.regional('eu').sql;
    // Acknowledged means committed to the intake log: wait for the processor to write it all.
    await h.processed();
    const good = new Map<string, string>(); // messageId → the request that carried it
    const acknowledgedIds = new Map<string, string>();
    const refusedIds = new Map<string, string>();
    let acknowledgedWithoutId = 0;
    requests.forEach((r, i) => {
      const kept = acknowledged(r, answers[i]!);
      r.items.forEach((item, j) => {
        const id = item.messageId === undefined ? undefined : asStoredText(item.messageId);
        if (id === undefined) {
          if (kept[j]) acknowledgedWithoutId++;
          return;
        }
        if (item.expect === 'stored' && r.whole === 'ok') good.set(id, describeRequest(i));
        if (kept[j]) acknowledgedIds.set(id, `${item.label}: ${describeRequest(i)}`);
        else refusedIds.set(id, `${item.label}: ${describeRequest(i)}`);
      });
    });
    for (const id of acknowledgedIds.keys()) refusedIds.delete(id);
    expect(good.size).toBeGreaterThan(1_000);

    const stored = new Map<string, number>();
    const ids = [...new Set([...good.keys(), ...acknowledgedIds.keys(), ...refusedIds.keys()])];
    const rows = await sql<{ message_id: string; n: number }[]>`
      select message_id, count(*)::int as n from events
      where source_id = ${source.id} and message_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      group by message_id`;
    for (const row of rows) stored.set(row.message_id, row.n);

    // Worst first: a 200 that lost the event, a refusal that stored it anyway, then good events not stored.
    const problems = [
      ...[...acknowledgedIds]
        .filter(([id]) => stored.get(id) !== 1)
        .map(([id, where]) => `acknowledged but stored ${stored.get(id) ?? 0}×: ${JSON.stringify(id)} (${where})`),
      ...[...refusedIds].filter(([id]) => stored.has(id)).map(([id, where]) => `refused but stored: ${id} (${where})`),
      ...[...good]
        .filter(([id]) => stored.get(id) !== 1)
        .map(([id, where]) => `good event stored ${stored.get(id) ?? 0}×: ${id}, sent in ${where}`),
    ];
    expect(problems.length, shown(problems)).toBe(0);
    const goodIds = [...good.keys()];
    const [count] = await sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct message_id)::int as distinct from events
      where source_id = ${source.id} and message_id in (select jsonb_array_elements_text(${JSON.stringify(goodIds)}::jsonb))`;
    expect(count).toEqual({ n: goodIds.length, distinct: goodIds.length });

    const [total] = await sql<{ n: number }[]>`select count(*)::int as n from events where source_id = ${source.id}`;
    expect(total!.n).toBe(acknowledgedIds.size + acknowledgedWithoutId);
  });

  it('shows stored events with their emoji, RTL, CJK and zero-width text intact, NUL and lone surrogates cleaned', async () => {
    const candidates = requests.flatMap((r, i) => {
      const kept = acknowledged(r, answers[i]!);
      return r.items.flatMap((item, j) => (item.spot && kept[j] ? [item.spot] : []));
    });
    const text = (s: { properties: Call }) => JSON.stringify(s.properties);
    const withNul = candidates.filter((s) => text(s).includes('\\u0000'));
    const withLoneSurrogate = candidates.filter((s) => /\\ud[89a-f]/i.test(text(s)));
    const others = candidates.filter((s) => !withNul.includes(s) && !withLoneSurrogate.includes(s));
    const spots = [...withNul.slice(0, 2), ...withLoneSurrogate.slice(0, 2), ...others.slice(0, 3)];
    expect(spots).toHaveLength(7);
    for (const spot of spots) {
      const { status, body } = await h.admin('POST', '/admin/profiles/lookup', { type: 'user_id', value: spot.userId });
      expect(status, spot.userId).toBe(200);
      const region = body.regions[0];
      expect(region.counts.events, spot.userId).toBe(1);
      const [event] = region.recentEvents;
      expect(event.event, spot.userId).toBe(asStored(spot.event));
      expect(event.payload.properties, spot.userId).toEqual(asStored(spot.properties));
    }
  });

  it('keeps serving after the storm: healthy, unpolluted, and still storing new events', async () => {
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const res = await h.send(source.writeKey, '/v1/track', {
      userId: 'after-the-storm',
      event: 'Still Here',
      messageId: 'after-the-storm',
    });
    expect(res.status).toBe(200);
    const sql = d.regional('eu').sql;
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from events where source_id = ${source.id} and message_id = 'after-the-storm'`;
    expect(row!.n).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

async function sendAll(base: string, requests: FuzzRequest[]): Promise<Answer[]> {
  const answers: Answer[] = new Array(requests.length);
  let next = 0;
  const sender = async () => {
    while (next < requests.length) {
      const i = next++;
      answers[i] = await post(base, requests[i]!);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, sender));
  return answers;
}

/** One request; a 429 is honoured (Retry-After) and the same request sent again. */
async function post(base: string, r: FuzzRequest): Promise<Answer> {
  for (let retries = 0; ; retries++) {
    let res: Response;
    try {
      res = await fetch(`${base}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
    } catch (error) {
      return { status: 0, text: `no answer: ${(error as Error).message}`, json: undefined, retries };
    }
    const text = await res.text();
    if (res.status === 429 && retries < MAX_429_RETRIES) {
      const seconds = Math.min(5, Number(res.headers.get('retry-after')) || 1);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, retries };
  }
}

/** Which items of a request the server acknowledged: all of a 200 except those it listed as rejected. */
function acknowledged(r: FuzzRequest, a: Answer): boolean[] {
  if (a.status !== 200) return r.items.map(() => false);
  const rejected = new Set<number>((a.json?.rejected ?? []).map((x: { index: number }) => x.index));
  return r.items.map((_, j) => !rejected.has(j));
}

function isSentence(value: unknown): boolean {
  return typeof value === 'string' && value.trim().length >= 10 && /[a-z]{2,} [a-z]{2,}/i.test(value);
}

function shown(lines: string[]): string {
  return lines.slice(0, SHOWN).join('\n') + (lines.length > SHOWN ? `\n… and ${lines.length - SHOWN} more` : '');
}

function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

/** UTF-8 turns each lone surrogate into U+FFFD, as PostgreSQL will store it. */
function asStoredText(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** A value as Meridian stores it: NUL removed from strings and keys, lone surrogates replaced. */
function asStored(value: unknown): unknown {
  if (typeof value === 'string') return asStoredText(value.replace(/\u0000/g, ''));
  if (Array.isArray(value)) return value.map(asStored);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [asStored(k) as string, asStored(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// The storm
// ---------------------------------------------------------------------------------------------

/** mulberry32: a tiny seeded PRNG, so the same seed gives the same storm. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const EXOTIC_TEXT = [
  'Party 🎉🚀 👩‍👩‍👧‍👦 🏳️‍🌈',
  'مرحبا بالعالم',
  'שלום עולם',
  '你好，世界',
  'こんにちは、世界',
  '안녕하세요',
  'zero\u200bwidth\u200cnon\u200djoiner\ufeff',
  '\u202eevil right-to-left override\u202c',
  'Z̷̢̛a̸l̶g̵o̴ t̶e̷x̸t',
  'NUL\u0000inside',
  '\u0000',
  'lone \ud800 high surrogate',
  'lone \udfff low surrogate',
  'tab\tnew\nline\r',
  '"quoted" \\ backslash </script>',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽',
  "Robert'); DROP TABLE events;--",
];
const EXOTIC_KEYS = [
  'emoji 🎉',
  'اسم',
  '名前',
  'zero\u200bwidth',
  'nul\u0000key',
  'lone\ud800key',
  '',
  ' ',
  '$where',
  'dotted.key.path',
  'constructor',
  'toString',
  'hasOwnProperty',
];
const EVENT_NAMES = [
  'Order Completed',
  'Product Viewed',
  '注文完了',
  'تم الطلب',
  'Zahlung 💶 erfolgt',
  'ﾃｽﾄ',
  'zero\u200bwidth',
  'nul\u0000in name',
  'lone \ud83d surrogate',
];
/** Valid, if odd: they must be stored. */
const ODD_VALID_TIMES = [
  '1970-01-01T00:00:00Z',
  '3000-01-01T00:00:00Z',
  '1999-12-31T23:59:59.999Z',
  '2024-02-29T23:59:59.123456789+14:00',
  '2024-06-01',
  '0001-01-01T00:00:00Z',
];
/** Valid ISO 8601 that PostgreSQL's timestamptz cannot hold (year 0, year 10000, year −1). */
const TIMES_OUT_OF_POSTGRES_RANGE = ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00', '0000-01-01T00:30:00+01:00'];

const ID_FIELDS: Record<CallType, string[]> = {
  identify: ['userId', 'anonymousId'],
  track: ['userId', 'anonymousId'],
  page: ['userId', 'anonymousId'],
  screen: ['userId', 'anonymousId'],
  group: ['userId', 'anonymousId', 'groupId'],
  alias: ['userId', 'previousId'],
};
const LABEL_FIELDS: Record<CallType, string[]> = {
  identify: [],
  track: ['event'],
  page: ['name', 'category'],
  screen: ['name'],
  group: [],
  alias: [],
};
const OBJECT_FIELDS: Record<CallType, string[]> = {
  identify: ['traits', 'context', 'integrations'],
  track: ['properties', 'context', 'integrations'],
  page: ['properties', 'context', 'integrations'],
  screen: ['properties', 'context', 'integrations'],
  group: ['traits', 'context', 'integrations'],
  alias: ['context', 'integrations'],
};
const TIME_FIELDS = ['timestamp', 'originalTimestamp', 'sentAt'];

/** One way to spoil (or stretch) a call. `apply` edits the call in place, or returns a replacement. */
interface Mutation {
  label: string;
  expect: ItemExpectation;
  weight: number;
  onlyInBatch?: boolean;
  applies?: (type: CallType) => boolean;
  apply(call: Call, type: CallType, f: Fuzzer): unknown;
}

const MUTATIONS: Mutation[] = [
  {
    label: 'wrong JSON type for an ID',
    expect: 'rejected',
    weight: 8,
    apply: (call, type, f) =>
      void (call[f.pick(ID_FIELDS[type])] = f.pick([[], {}, true, false, [f.leak()], { email: f.leak() }])),
  },
  {
    label: 'wrong JSON type for a name',
    expect: 'rejected',
    weight: 5,
    applies: (type) => LABEL_FIELDS[type].length > 0,
    apply: (call, type, f) => void (call[f.pick(LABEL_FIELDS[type])] = f.pick([[], {}, 42, true, [f.leak()]])),
  },
  {
    label: 'wrong JSON type for an object field',
    expect: 'rejected',
    weight: 6,
    apply: (call, type, f) =>
      void (call[f.pick(OBJECT_FIELDS[type])] = f.pick(['a string', f.leak(), 42, [], [f.leak()], true])),
  },
  {
    label: 'unreadable time',
    expect: 'rejected',
    weight: 6,
    apply: (call, _type, f) =>
      void (call[f.pick(TIME_FIELDS)] = f.pick([
        1_700_000_000_000,
        'yesterday',
        f.leak(),
        '2024-13-45T00:00:00Z',
        '2024-02-30',
        '2024-01-01T25:00:00Z',
        '2024-06-01T12:00:00',
        '',
        {},
        [],
        '2024-06-01T12:00:00+24:00',
        '１９７０-01-01',
      ])),
  },
  {
    label: 'unusable messageId',
    expect: 'rejected',
    weight: 3,
    apply: (call, _type, f) =>
      void (call.messageId = f.pick([
        42,
        {},
        [],
        true,
        `${call.messageId}-${'m'.repeat(101)}`,
        `${call.messageId}\u0001`,
        `${call.messageId}\u0000`,
      ])),
  },
  {
    label: 'required field missing',
    expect: 'rejected',
    weight: 10,
    apply: (call, type, f) => {
      const options: (() => void)[] = [];
      if (type === 'track')
        options.push(
          () => delete call.event,
          () => (call.event = ''),
          () => (call.event = '   '),
          () => (call.event = null),
        );
      if (type === 'group')
        options.push(
          () => delete call.groupId,
          () => (call.groupId = ''),
          () => (call.groupId = null),
        );
      if (type === 'alias')
        options.push(
          () => delete call.previousId,
          () => delete call.userId,
          () => (call.previousId = ' '),
        );
      else {
        options.push(
          () => {
            delete call.userId;
            delete call.anonymousId;
            if (type === 'identify') call.traits = { email: f.leak() };
          },
          () => {
            call.userId = f.pick(['', '   ', null]);
            delete call.anonymousId;
          },
        );
      }
      f.pick(options)();
    },
  },
  {
    label: 'unusable ID',
    expect: 'rejected',
    weight: 5,
    apply: (call, type, f) =>
      void (call[f.pick(ID_FIELDS[type])] = f.pick([
        'u'.repeat(257),
        `${f.leak()}\u0007`,
        'tab\tid',
        'nul\u0000id',
        'line\nbreak',
        12_345_678_901_234_567_890,
        -98_765_432_109_876_543_210,
      ])),
  },
  {
    label: 'nested deeper than 32 levels',
    expect: 'rejected',
    weight: 4,
    apply: (call, type, f) => {
      const depth = f.pick([33, 34, 40, 64, 100, 128, 200, 500, 1000]);
      // The object field itself is level 1.
      call[f.pick(OBJECT_FIELDS[type])] = { deep: f.nested(depth - 1, f.chance(0.5)) };
    },
  },
  {
    label: 'event over 32 KB',
    expect: 'rejected',
    weight: 1,
    onlyInBatch: true,
    apply: (call, type, f) =>
      void (call[f.pick(OBJECT_FIELDS[type])] = { blob: 'b'.repeat(LIMITS.eventBytes + f.int(500)) }),
  },
  {
    label: 'unknown type',
    expect: 'rejected',
    weight: 5,
    onlyInBatch: true,
    apply: (call, _type, f) => {
      if (f.chance(0.15)) delete call.type;
      else
        call.type = f.pick([
          'teleport',
          'TRACK',
          'Track',
          '',
          42,
          null,
          [],
          f.leak(),
          'constructor',
          '__proto__',
          'toString',
        ]);
    },
  },
  {
    label: 'item is not an object',
    expect: 'rejected',
    weight: 2,
    onlyInBatch: true,
    apply: (_call, _type, f) => f.pick(['a string', f.leak(), 42, null, [], [f.leak()], true]),
  },
  {
    label: 'hostile but valid text',
    expect: 'stored',
    weight: 8,
    apply: (call, type, f) => {
      for (const field of LABEL_FIELDS[type]) call[field] = f.pick(field === 'event' ? EVENT_NAMES : EXOTIC_TEXT);
      call.context = {
        locale: f.pick(['de-DE', 'ar-EG', 'zh-Hant-TW', 'en_US', 'not a locale!!', '']),
        timezone: f.pick(['Europe/Berlin', 'Asia/Tokyo', '+05:00', 'Mars/Olympus_Mons', '']),
        [f.pick(EXOTIC_KEYS)]: f.pick(EXOTIC_TEXT),
      };
    },
  },
  {
    label: 'odd but valid time',
    expect: 'stored',
    weight: 5,
    apply: (call, _type, f) => {
      call[f.pick(['timestamp', 'originalTimestamp'])] = f.pick(ODD_VALID_TIMES);
      if (f.chance(0.5))
        call.sentAt = f.pick(['1970-01-01T00:00:00Z', '3000-01-01T00:00:00Z', new Date().toISOString()]);
    },
  },
  {
    label: 'long but valid text',
    expect: 'stored',
    weight: 2,
    apply: (call, type, f) => {
      if (type === 'track' && f.chance(0.3)) call.event = 'E'.repeat(10_000);
      else call[f.pick(OBJECT_FIELDS[type])] = { long: 'L'.repeat(20_000 + f.int(9_000)) };
    },
  },
  {
    label: 'lone surrogate in userId',
    expect: 'either',
    weight: 1,
    applies: (type) => type !== 'alias',
    apply: (call) => void (call.userId = `${String(call.userId)}\ud800`),
  },
  {
    label: 'lone surrogate in messageId',
    expect: 'either',
    weight: 1,
    apply: (call) => void (call.messageId = `${String(call.messageId)}-\udc00`),
  },
  {
    label: 'time PostgreSQL cannot hold',
    expect: 'either',
    weight: 1,
    apply: (call, _type, f) => void (call[f.pick(TIME_FIELDS)] = f.pick(TIMES_OUT_OF_POSTGRES_RANGE)),
  },
  {
    label: 'trait name of 3000 random characters',
    expect: 'either',
    weight: 1,
    applies: (type) => type === 'identify',
    apply: (call, _type, f) => void (call.traits = { ...(call.traits as Call), [f.randomText(3_000)]: 1 }),
  },
];

class Fuzzer {
  private n = 0;
  private readonly random: () => number;
  /** Good requests and batch items already built, sent again to test deduplication. */
  private readonly goodSingles: FuzzRequest[] = [];
  private readonly goodBatchItems: { call: Call; item: SentItem }[] = [];

  constructor(
    seed: number,
    private readonly writeKey: string,
  ) {
    this.random = mulberry32(seed);
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(options: readonly T[]): T {
    return options[this.int(options.length)]!;
  }
  next(): number {
    return ++this.n;
  }
  leak(): string {
    return `leak-${this.next()}@example.com`;
  }
  randomText(length: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    return Array.from({ length }, () => alphabet[this.int(alphabet.length)]).join('');
  }
  /** `levels` containers, one inside the other. */
  nested(levels: number, arrays: boolean): unknown {
    let value: unknown = '🍃';
    for (let i = 0; i < levels; i++) value = arrays ? [value] : { d: value };
    return value;
  }

  storm(count: number): FuzzRequest[] {
    const kinds: [number, () => FuzzRequest][] = [
      [12, () => this.validSingle()],
      [34, () => this.malformedSingle()],
      [22, () => this.mixedBatch()],
      [10, () => this.invalidJson()],
      [5, () => this.wrongContentType()],
      [8, () => this.badAuth()],
      [4, () => this.brokenBatchEnvelope()],
      [1.6, () => this.oversizeEvent()],
      [0.8, () => this.oversizeBatch()],
      [2, () => this.prototypeKeys()],
      [3, () => this.duplicate()],
      [1, () => this.veryDeep()],
    ];
    const total = kinds.reduce((sum, [w]) => sum + w, 0);
    const specials = [
      () => this.tooManyItems(),
      () => this.fullBatch(),
      () => this.tooManyItems(),
      () => this.fullBatch(),
      () => this.tooManyItems(),
    ];
    const every = Math.floor(count / specials.length);
    const out: FuzzRequest[] = [];
    while (out.length < count) {
      if (out.length % every === 7 && specials.length > 0) {
        out.push(specials.shift()!());
        continue;
      }
      let roll = this.random() * total;
      const [, make] = kinds.find(([w]) => (roll -= w) < 0) ?? kinds[0]!;
      out.push(make());
    }
    return out;
  }

  // -- calls ----------------------------------------------------------------------------------

  private exoticProperties(long = false): Call {
    const properties: Call = {
      text: this.pick(EXOTIC_TEXT),
      number: this.pick([0, -1, 1.5, 1e308, 2 ** 53 - 1, -2.5e-300]),
      flag: this.pick([true, false, null]),
      list: [this.pick(EXOTIC_TEXT), 1, null, { inner: this.pick(EXOTIC_TEXT) }],
      [this.pick(EXOTIC_KEYS)]: this.pick(EXOTIC_TEXT),
    };
    if (this.chance(0.15)) properties.nested = this.nested(31, this.chance(0.5)); // 32 levels with properties: the most allowed
    if (long && this.chance(0.1)) properties.long = 'L'.repeat(20_000 + this.int(6_000));
    return properties;
  }

  /** A valid call; `good` ones (expected stored) get IDs the checks look for. */
  private call(type: CallType, good: boolean, long = false): { call: Call; n: number } {
    const n = this.next();
    const userId = good ? `fuzz-good-${n}` : `fuzz-bad-${n}`;
    const messageId = good ? `good-${n}` : `fz-${n}`;
    const common: Call = { type, messageId };
    if (this.chance(0.3)) common.timestamp = new Date(Date.now() - this.int(86_400_000)).toISOString();
    const byType: Record<CallType, Call> = {
      identify: { userId, traits: { name: this.pick(EXOTIC_TEXT), email: `${userId}@example.org`, plan: 'pro' } },
      track: { userId, event: this.pick(EVENT_NAMES), properties: this.exoticProperties(long) },
      page: {
        anonymousId: `${userId}-anon`,
        name: this.pick(EXOTIC_TEXT),
        category: 'Docs',
        properties: this.exoticProperties(long),
      },
      screen: { userId, name: this.pick(EXOTIC_TEXT), properties: this.exoticProperties(long) },
      group: { userId, groupId: `${userId}-group`, traits: { name: this.pick(EXOTIC_TEXT) } },
      alias: { userId, previousId: `${userId}-before` },
    };
    return { call: { ...common, ...byType[type] }, n };
  }

  private sentItem(value: unknown, label: string, expect: ItemExpectation, spot = false): SentItem {
    const call = (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Call;
    const id = call.messageId;
    const item: SentItem = { label, expect, preview: (JSON.stringify(value) ?? '').slice(0, 120) };
    if (typeof id === 'string' && id.trim() !== '' && !id.includes('\u0000')) item.messageId = id;
    if (spot && call.type === 'track') {
      item.spot = { userId: call.userId as string, event: call.event as string, properties: call.properties as Call };
    }
    return item;
  }

  private goodTrack(long = false): { call: Call; item: SentItem } {
    const { call } = this.call('track', true, long);
    const built = { call, item: this.sentItem(call, 'good track', 'stored', true) };
    this.goodBatchItems.push(built);
    return built;
  }

  private mutation(inBatch: boolean, type: CallType): Mutation {
    const usable = MUTATIONS.filter((m) => (inBatch || !m.onlyInBatch) && (m.applies?.(type) ?? true));
    let roll = this.random() * usable.reduce((sum, m) => sum + m.weight, 0);
    return usable.find((m) => (roll -= m.weight) < 0) ?? usable[0]!;
  }

  /** A call spoilt (or stretched) one way; its IDs say whether it should be stored. */
  private mutated(inBatch: boolean): { value: unknown; item: SentItem } {
    const type = this.pick(CALL_TYPES);
    const m = this.mutation(inBatch, type);
    const { call } = this.call(type, m.expect === 'stored');
    const replacement = m.apply(call, type, this);
    const value = replacement === undefined ? call : replacement;
    return { value, item: this.sentItem(value, m.label, m.expect) };
  }

  // -- requests -------------------------------------------------------------------------------

  private request(
    kind: string,
    path: string,
    body: Buffer | string,
    whole: RequestExpectation,
    items: SentItem[],
    headers?: Record<string, string>,
  ): FuzzRequest {
    return {
      n: this.next(),
      kind,
      path,
      headers: headers ?? this.headers(),
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      whole,
      batch: path === '/v1/batch' || path === '/v1/import',
      items,
    };
  }

  private headers(contentType: string | undefined = 'application/json'): Record<string, string> {
    return {
      authorization: `Basic ${Buffer.from(`${this.writeKey}:`).toString('base64')}`,
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    };
  }

  private batchPath(): string {
    return this.pick(['/v1/batch', '/v1/batch', '/v1/import']);
  }

  private single(call: Call): { path: string; body: string } {
    const { type, ...rest } = call;
    return { path: `/v1/${String(type)}`, body: JSON.stringify(rest) };
  }

  private validSingle(): FuzzRequest {
    const type = this.chance(0.6) ? 'track' : this.pick(CALL_TYPES);
    const { call } = this.call(type, true, true);
    const { path, body } = this.single(call);
    const r = this.request('valid call', path, body, 'ok', [this.sentItem(call, `valid ${type}`, 'stored', true)]);
    this.goodSingles.push(r);
    return r;
  }

  private malformedSingle(): FuzzRequest {
    const { value, item } = this.mutated(false);
    const { path, body } = this.single(value as Call);
    const whole = item.expect === 'stored' ? 'ok' : item.expect === 'rejected' ? 'refused' : 'either';
    return this.request(`single: ${item.label}`, path, body, whole, [item]);
  }

  /** Bad items with at least one good track among them: the good ones must be kept. */
  private mixedBatch(): FuzzRequest {
    const entries: { value: unknown; item: SentItem }[] = [];
    const goods = 1 + this.int(3);
    for (let i = 0; i < goods; i++) {
      const { call, item } = this.goodTrack(i === 0);
      entries.push({ value: call, item });
    }
    const bads = 1 + this.int(this.chance(0.2) ? 60 : 12);
    let oversize = 0;
    for (let i = 0; i < bads; i++) {
      const m = this.mutated(true);
      if (m.item.label === 'event over 32 KB' && ++oversize > 2) continue;
      entries.push(m);
    }
    // Long items could add up past the batch limit (another test), with room for a duplicate: drop the largest bad ones.
    const size = (e: { value: unknown }) => Buffer.byteLength(JSON.stringify(e.value) ?? '');
    while (entries.reduce((sum, e) => sum + size(e) + 1, 40_000) > LIMITS.batchBytes) {
      const largest = entries.slice(goods).reduce((a, b) => (size(a) >= size(b) ? a : b));
      entries.splice(entries.indexOf(largest), 1);
    }
    if (this.chance(0.25) && this.goodBatchItems.length > goods) {
      const earlier = this.pick(this.goodBatchItems.slice(0, -goods));
      entries.push({
        value: earlier.call,
        item: { ...earlier.item, label: 'duplicate of an earlier good item', spot: undefined },
      });
    }
    if (this.chance(0.2)) {
      // A bad item claiming a good item's messageId must not keep the good one out.
      const target = entries[0]!.value as Call;
      const { call } = this.call('track', false);
      delete call.event;
      call.messageId = target.messageId;
      entries.unshift({
        value: call,
        item: {
          label: 'bad item with a good messageId',
          expect: 'rejected',
          preview: JSON.stringify(call).slice(0, 120),
        },
      });
    }
    const shuffled = this.shuffle(entries);
    const envelope: Call = { batch: shuffled.map((e) => e.value) };
    if (this.chance(0.3)) envelope.context = { library: { name: 'fuzz', version: '0.0.0' }, locale: 'de-DE' };
    if (this.chance(0.3)) envelope.sentAt = new Date().toISOString();
    if (this.chance(0.1)) envelope.integrations = { All: true };
    return this.request(
      'mixed batch',
      this.batchPath(),
      JSON.stringify(envelope),
      'ok',
      shuffled.map((e) => e.item),
    );
  }

  private invalidJson(): FuzzRequest {
    const inBatch = this.chance(0.3);
    const { call } = this.call(this.chance(0.5) ? 'track' : this.pick(CALL_TYPES), false);
    if (this.chance(0.3)) call.context = { email: this.leak() };
    const { path, body: text } = inBatch
      ? { path: this.batchPath(), body: JSON.stringify({ batch: [call] }) }
      : this.single(call);
    const id = call.messageId as string;
    const [label, body, expect]: [string, string | Buffer, ItemExpectation] = this.pick<
      () => [string, string | Buffer, ItemExpectation]
    >([
      () => ['truncated', text.slice(0, 1 + this.int(text.length - 2)), 'rejected'],
      () => ['trailing comma', text.replace(/}$/, ',}'), 'rejected'],
      () => [
        'bare word',
        this.pick([
          'undefined',
          'hello',
          this.leak(),
          'True',
          'None',
          'NaN',
          'Infinity',
          '-Infinity',
          `{userId: "${this.leak()}"}`,
        ]),
        'rejected',
      ],
      () => [
        'NaN or Infinity',
        text.replace(/}$/, `,"score":${this.pick(['NaN', 'Infinity', '-Infinity'])}}`),
        'rejected',
      ],
      () => ['single quotes', text.replace(/"/g, "'"), 'rejected'],
      () => ['comment', `/* ${this.leak()} */${text}`, 'rejected'],
      () => ['two documents', `${text}${text}`, 'rejected'],
      () => [
        'not an object',
        this.pick(['', '   \n', 'null', '[]', '"a string"', '42', 'true', '{}', `["${this.leak()}"]`]),
        'rejected',
      ],
      () => ['bad escape', text.replace(/}$/, ',"x":"\\uZZZZ"}'), 'rejected'],
      () => ['number too large for JSON', text.replace(/}$/, ',"context":{"big":1e400}}'), 'rejected'],
      () => [
        'ID too large to be exact',
        text
          .replace(/"userId":"[^"]*"/, '"userId":123456789012345678901234567890')
          .replace(/"anonymousId":"[^"]*"/, '"anonymousId":1e400'),
        'rejected',
      ],
      () => ['escaped NUL in userId', text.replace(/"(userId|anonymousId)":"/, '"$1":"\\u0000'), 'rejected'],
      () => ['byte order mark', `\ufeff${text}`, 'either'],
      () => [
        'invalid UTF-8 bytes',
        Buffer.concat([
          Buffer.from(text.replace(/}$/, ',"x":"'), 'utf8'),
          Buffer.from([0xff, 0xc3, 0x28, 0xa0]),
          Buffer.from('"}'),
        ]),
        'either',
      ],
    ])();
    const item: SentItem = { label, expect, messageId: id, preview: String(body).slice(0, 120) };
    return this.request(`invalid JSON: ${label}`, path, body, expect === 'rejected' ? 'refused' : 'either', [item]);
  }

  private wrongContentType(): FuzzRequest {
    const { call } = this.call('track', false);
    const { path, body } = this.single(call);
    const contentType = this.pick([
      undefined,
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/xml',
      'application/octet-stream',
      'multipart/form-data; boundary=x',
      'text/html',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      ';;;',
    ]);
    return this.request(
      `content type ${contentType ?? 'missing'}`,
      path,
      body,
      'either',
      [this.sentItem(call, 'valid call, wrong content type', 'either')],
      this.headers(contentType),
    );
  }

  private badAuth(): FuzzRequest {
    const basic = (user: string) => `Basic ${Buffer.from(user).toString('base64')}`;
    const variant = this.pick<[string, RequestExpectation, Record<string, string>, Call]>([
      ['no Authorization header', 'refused', {}, {}],
      ['unknown write key', 'refused', { authorization: basic(`wk_${this.randomText(32)}:`) }, {}],
      ['personal value as write key', 'refused', { authorization: basic(`${this.leak()}:`) }, {}],
      ['not base64', 'refused', { authorization: `Basic !!!${this.leak()}***` }, {}],
      ['empty Basic', 'refused', { authorization: 'Basic ' }, {}],
      ['key as password', 'refused', { authorization: basic(`:${this.writeKey}`) }, {}],
      ['NUL and latin1 key', 'refused', { authorization: basic('\u0000\u00ff:') }, {}],
      ['8 KB of garbage', 'refused', { authorization: `Basic ${this.randomText(8_000)}` }, {}],
      ['Digest scheme', 'refused', { authorization: `Digest username="${this.writeKey}"` }, {}],
      ['unknown writeKey in the body', 'refused', {}, { writeKey: `wk_${this.randomText(20)}` }],
      [
        'writeKey of the wrong type in the body',
        'refused',
        {},
        { writeKey: this.pick([42, [this.writeKey], { key: this.writeKey }, true]) },
      ],
      ['Bearer scheme', 'either', { authorization: `Bearer ${this.writeKey}` }, {}],
      ['lower-case basic', 'either', { authorization: basic(`${this.writeKey}:`).replace('Basic', 'basic') }, {}],
      ['writeKey in the body', 'ok', {}, { writeKey: this.writeKey }],
      ['Basic without a colon', 'ok', { authorization: basic(this.writeKey) }, {}],
    ]);
    const [label, whole, auth, extra] = variant;
    const { call } = this.call('track', whole === 'ok');
    const { path, body } = this.single({ ...call, ...extra });
    const expect: ItemExpectation = whole === 'ok' ? 'stored' : whole === 'refused' ? 'rejected' : 'either';
    return this.request(`auth: ${label}`, path, body, whole, [this.sentItem(call, label, expect)], {
      'content-type': 'application/json',
      ...auth,
    });
  }

  private brokenBatchEnvelope(): FuzzRequest {
    const { call } = this.call('track', false);
    const all = (n: number) =>
      Array.from({ length: n }, () => this.mutated(true)).filter((m) => m.item.expect === 'rejected');
    const variant = this.pick<() => [string, unknown, SentItem[]]>([
      () => ['empty batch', { batch: [] }, []],
      () => ['no batch', { context: {} }, []],
      () => ['batch is an object', { batch: { 0: call } }, []],
      () => ['batch is a string', { batch: this.leak() }, []],
      () => ['batch is null', { batch: null }, []],
      () => ['body is an array', [call], []],
      () => [
        'batch context not an object',
        { batch: [call], context: this.pick(['x', 42, [this.leak()]]) },
        [this.sentItem(call, 'good item in a broken batch', 'rejected')],
      ],
      () => [
        'batch sentAt unreadable',
        { batch: [call], sentAt: this.pick(['soon', this.leak(), 0]) },
        [this.sentItem(call, 'good item in a broken batch', 'rejected')],
      ],
      () => [
        'batch context too deep',
        { batch: [call], context: this.nested(40, false) },
        [this.sentItem(call, 'good item in a broken batch', 'rejected')],
      ],
      () => {
        const bad = all(1 + this.int(8));
        return ['no good item', { batch: bad.map((m) => m.value) }, bad.map((m) => m.item)];
      },
    ])();
    const [label, body, items] = variant;
    return this.request(`broken batch: ${label}`, this.batchPath(), JSON.stringify(body), 'refused', items);
  }

  /** A call padded to `bytes` bytes of JSON, with ASCII or 4-byte emoji. */
  private padded(call: Call, field: string, bytes: number, emoji: boolean): string {
    const build = (pad: string) => JSON.stringify({ ...call, [field]: { pad } });
    const room = bytes - Buffer.byteLength(build(''));
    return build(emoji ? '😀'.repeat(Math.floor(room / 4)) + 'x'.repeat(room % 4) : 'x'.repeat(room));
  }

  private oversizeEvent(): FuzzRequest {
    const atLimit = this.chance(0.25);
    const { call } = this.call('track', atLimit);
    const { type, ...rest } = call;
    const body = this.padded(
      rest,
      'properties',
      LIMITS.eventBytes + (atLimit ? 0 : 1 + this.int(300)),
      !atLimit && this.chance(0.5),
    );
    const item = this.sentItem(call, atLimit ? 'exactly 32 KB' : 'just over 32 KB', atLimit ? 'stored' : 'rejected');
    return this.request(
      atLimit ? 'event of exactly 32 KB' : 'event just over 32 KB',
      `/v1/${String(type)}`,
      body,
      atLimit ? 'ok' : 'refused',
      [item],
    );
  }

  private oversizeBatch(): FuzzRequest {
    const atLimit = this.chance(0.25);
    const count = 21;
    const calls = Array.from({ length: count }, () => this.call('track', atLimit).call);
    const pads = calls.map(() => 'x'.repeat(24_000));
    const build = () => JSON.stringify({ batch: calls.map((c, i) => ({ ...c, properties: { pad: pads[i] } })) });
    const target = LIMITS.batchBytes + (atLimit ? 0 : 1 + this.int(300));
    pads[count - 1] = 'x'.repeat(pads[count - 1]!.length + target - Buffer.byteLength(build()));
    const body = build();
    const items = calls.map((c) =>
      this.sentItem(
        c,
        atLimit ? 'item of a batch of exactly 500 KB' : 'item of a batch over 500 KB',
        atLimit ? 'stored' : 'rejected',
      ),
    );
    return this.request(
      atLimit ? 'batch of exactly 500 KB' : 'batch just over 500 KB',
      this.batchPath(),
      body,
      atLimit ? 'ok' : 'refused',
      items,
    );
  }

  private tooManyItems(): FuzzRequest {
    const entries = Array.from({ length: LIMITS.batchItems + 1 }, (_, i) => {
      const call = this.smallTrack();
      if (i % 100 === 0) call.context = { email: this.leak() };
      return { value: call, item: this.sentItem(call, `one of ${LIMITS.batchItems + 1} items`, 'rejected') };
    });
    return this.request(
      `batch of ${LIMITS.batchItems + 1} items`,
      this.batchPath(),
      JSON.stringify({ batch: entries.map((e) => e.value) }),
      'refused',
      entries.map((e) => e.item),
    );
  }

  /** A bad-ID track call of about 80 bytes, so that thousands fit in one batch. */
  private smallTrack(): Call {
    const n = this.next();
    return { type: 'track', userId: `fuzz-bad-${n}`, event: 'E', messageId: `fz-${n}` };
  }

  /** Exactly the item limit, mostly bad items, some good ones. */
  private fullBatch(): FuzzRequest {
    const entries = Array.from({ length: LIMITS.batchItems }, (_, i) => {
      if (i % 40 === 0) {
        const good = this.goodTrack();
        return { value: good.call, item: good.item };
      }
      const call = this.smallTrack();
      const spoil = this.pick<[string, () => void]>([
        ['missing event', () => delete call.event],
        ['unknown type', () => (call.type = 'teleport')],
        ['no IDs', () => ((call.userId = null), (call.context = { email: this.leak() }))],
        ['properties not an object', () => (call.properties = [1, 2, 3])],
      ]);
      spoil[1]();
      return { value: call, item: this.sentItem(call, spoil[0], 'rejected') };
    });
    return this.request(
      `batch of exactly ${LIMITS.batchItems} items`,
      this.batchPath(),
      JSON.stringify({ batch: entries.map((e) => e.value) }),
      'ok',
      entries.map((e) => e.item),
    );
  }

  /** `__proto__` and `constructor.prototype` keys: refusing the request or keeping them as plain keys are both fine. */
  private prototypeKeys(): FuzzRequest {
    const poison = this.pick([
      '"__proto__":{"polluted":"yes"}',
      '"constructor":{"prototype":{"polluted":"yes"}}',
      '"__proto__":null',
    ]);
    const { call } = this.call('track', false);
    const poisoned = JSON.stringify(call).replace(/"properties":\{/, `"properties":{${poison},`);
    const poisonedItem = this.sentItem(call, `key ${poison.slice(0, 16)}`, 'either');
    if (this.chance(0.5)) {
      const { type, ...rest } = call;
      const body = JSON.stringify(rest).replace(/"properties":\{/, `"properties":{${poison},`);
      return this.request('prototype key in a call', `/v1/${String(type)}`, body, 'either', [poisonedItem]);
    }
    const good = this.call('track', false).call;
    const body = `{"batch":[${JSON.stringify(good)},${poisoned}]}`;
    return this.request('prototype key in a batch item', this.batchPath(), body, 'either', [
      this.sentItem(good, 'good item beside a prototype key', 'either'),
      poisonedItem,
    ]);
  }

  private duplicate(): FuzzRequest {
    if (this.chance(0.5) && this.goodSingles.length > 0) {
      const earlier = this.pick(this.goodSingles);
      return {
        ...earlier,
        n: this.next(),
        kind: 'duplicate call',
        items: earlier.items.map((i) => ({ ...i, label: 'duplicate call', spot: undefined })),
      };
    }
    if (this.goodBatchItems.length < 3) return this.validSingle();
    const again = [this.pick(this.goodBatchItems), this.pick(this.goodBatchItems)];
    const fresh = this.goodTrack();
    const entries = [
      ...again.map((e) => ({ value: e.call, item: { ...e.item, label: 'duplicate item', spot: undefined } })),
      { value: fresh.call, item: fresh.item },
    ];
    return this.request(
      'batch with duplicate messageIds',
      this.batchPath(),
      JSON.stringify({ batch: entries.map((e) => e.value) }),
      'ok',
      entries.map((e) => e.item),
    );
  }

  /** Thousands of levels, written as text (JSON.stringify itself would overflow the stack). */
  private veryDeep(): FuzzRequest {
    const depth = this.pick([2_000, 4_000, 8_000, 14_000]);
    const arrays = this.chance(0.8);
    const deep = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const { call } = this.call('track', false);
    const { type, ...rest } = call;
    const text = (c: Call) => JSON.stringify(c).replace(/"properties":\{/, `"properties":{"deep":${deep},`);
    const deepItem = this.sentItem(call, `nested ${depth} levels`, 'rejected');
    if (this.chance(0.5))
      return this.request(`call nested ${depth} levels`, `/v1/${String(type)}`, text(rest), 'refused', [deepItem]);
    // Refusing the whole body as too deep to parse is as good as rejecting the one item.
    const good = this.goodTrack();
    const goodItem = { ...good.item, expect: 'either' as const };
    return this.request(
      `batch item nested ${depth} levels`,
      this.batchPath(),
      `{"batch":[${JSON.stringify(good.call)},${text(call)}]}`,
      'either',
      [goodItem, deepItem],
    );
  }

  private shuffle<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
