import { describe, expect, it } from 'vitest';
import {
  dateTraitInstant,
  type JourneyGraphInput,
  mayEnter,
  nextSendInstant,
  parseJourneyGraph,
  runIdOf,
} from '../../domain/journeys';
import { randomBranch } from '../../domain/journey-branch';

const abandonedCart: JourneyGraphInput = {
  entry: { type: 'event', event: 'Checkout Started', key: 'cart_id' },
  reEntry: { mode: 'afterExit' },
  start: 'wait',
  nodes: {
    wait: { type: 'waitForEvent', event: 'Order Completed', timeoutSeconds: 4 * 3600, next: 'done', timeout: 'remind' },
    remind: { type: 'message', channel: 'email', templateRef: 'cart-reminder', next: 'done' },
    done: { type: 'exit' },
  },
};

function error(input: unknown): string {
  const parsed = parseJourneyGraph(input);
  if (parsed.ok) throw new Error('expected the graph to be refused');
  return parsed.error;
}

describe('journey graphs', () => {
  it('accepts the abandoned-cart journey and fills defaults', () => {
    const parsed = parseJourneyGraph(abandonedCart);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const wait = parsed.graph.nodes.wait!;
    expect(wait.type === 'waitForEvent' && wait.sameKey).toBe(true);
    const remind = parsed.graph.nodes.remind!;
    expect(remind.type === 'message' && remind.onBlocked).toBe('continue');
  });

  it('names the field and the rule for an unknown node reference', () => {
    expect(
      error({
        ...abandonedCart,
        nodes: { ...abandonedCart.nodes, remind: { ...abandonedCart.nodes.remind, next: 'nowhere' } },
      }),
    ).toContain('nodes.remind.next: names no node ("nowhere")');
    expect(error({ ...abandonedCart, start: 'begin' })).toContain('start: names no node');
  });

  it('refuses a graph without an exit, and a node that cannot reach one', () => {
    expect(
      error({
        entry: { type: 'segmentEntered', segmentId: 'seg_1' },
        start: 'a',
        nodes: { a: { type: 'delay', seconds: 60, next: 'a' } },
      }),
    ).toBe('nodes: must have at least one exit node');
    expect(
      error({
        entry: { type: 'segmentEntered', segmentId: 'seg_1' },
        start: 'a',
        nodes: { a: { type: 'delay', seconds: 60, next: 'a' }, out: { type: 'exit' } },
      }),
    ).toBe('nodes.a: cannot reach an exit node');
  });

  it('refuses a cycle with no delay or wait, and accepts one with a delay', () => {
    const looping = {
      entry: { type: 'segmentEntered', segmentId: 'seg_1' },
      start: 'ask',
      nodes: {
        ask: { type: 'split', condition: { trait: 'plan', equals: 'gold' }, yes: 'out', no: 'mail' },
        mail: { type: 'message', channel: 'email', templateRef: 't1', next: 'ask' },
        out: { type: 'exit' },
      },
    };
    expect(error(looping)).toMatch(
      /^nodes\.(ask|mail): the cycle (ask → mail → ask|mail → ask → mail) has no delay or wait/,
    );
    const withDelay = {
      ...looping,
      nodes: {
        ...looping.nodes,
        mail: { type: 'message', channel: 'email', templateRef: 't1', next: 'pause' },
        pause: { type: 'delay', seconds: 86_400, next: 'ask' },
      },
    };
    expect(parseJourneyGraph(withDelay).ok).toBe(true);
  });

  it('names the field of a bad node shape and a random split that does not add up', () => {
    expect(
      error({
        ...abandonedCart,
        nodes: { ...abandonedCart.nodes, remind: { type: 'message', channel: 'fax', templateRef: 't', next: 'done' } },
      }),
    ).toMatch(/^nodes\.remind\.channel: must be one of email, sms/);
    expect(
      error({
        ...abandonedCart,
        start: 'ab',
        nodes: {
          ...abandonedCart.nodes,
          ab: {
            type: 'randomSplit',
            branches: [
              { percent: 50, next: 'remind' },
              { percent: 40, next: 'done' },
            ],
            holdoutPercent: 5,
          },
        },
      }),
    ).toBe('nodes.ab.branches: the percents and holdoutPercent must add up to 100 (they add up to 95)');
    expect(error({ ...abandonedCart, entry: { type: 'event' } })).toMatch(/^entry\.event: /);
  });
});

describe('the local send instant (a welcome at 10:00 local)', () => {
  it('Tokyo: 10:00 JST is 01:00 UTC, the same or the next local day', () => {
    expect(nextSendInstant(new Date('2026-03-10T00:30:00Z'), '10:00', 'Asia/Tokyo').toISOString()).toBe(
      '2026-03-10T01:00:00.000Z',
    );
    expect(nextSendInstant(new Date('2026-03-10T01:00:01Z'), '10:00', 'Asia/Tokyo').toISOString()).toBe(
      '2026-03-11T01:00:00.000Z',
    );
  });

  it('Berlin across the change to summer time: the offset at the send instant, not at "now"', () => {
    // Saturday 2026-03-28 12:00 CET (UTC+1); Sunday's 10:00 is already CEST (UTC+2): 08:00 UTC, not 09:00.
    expect(nextSendInstant(new Date('2026-03-28T11:00:00Z'), '10:00', 'Europe/Berlin').toISOString()).toBe(
      '2026-03-29T08:00:00.000Z',
    );
    // And back in October: Saturday 2026-10-24 12:00 CEST; Sunday's 10:00 is CET: 09:00 UTC.
    expect(nextSendInstant(new Date('2026-10-24T10:00:00Z'), '10:00', 'Europe/Berlin').toISOString()).toBe(
      '2026-10-25T09:00:00.000Z',
    );
  });

  it('São Paulo (UTC−3, no daylight saving since 2019)', () => {
    expect(nextSendInstant(new Date('2026-06-01T12:00:00Z'), '10:00', 'America/Sao_Paulo').toISOString()).toBe(
      '2026-06-01T13:00:00.000Z',
    );
    expect(nextSendInstant(new Date('2026-06-01T13:30:00Z'), '10:00', 'America/Sao_Paulo').toISOString()).toBe(
      '2026-06-02T13:00:00.000Z',
    );
  });

  it('allowed weekdays are local weekdays: Saturday morning in Tokyo is still Friday in UTC', () => {
    // 2026-03-06 23:30 UTC is Saturday 08:30 in Tokyo: Monday to Friday only → Monday 10:00 JST.
    expect(
      nextSendInstant(new Date('2026-03-06T23:30:00Z'), '10:00', 'Asia/Tokyo', [1, 2, 3, 4, 5]).toISOString(),
    ).toBe('2026-03-09T01:00:00.000Z');
  });

  it('a date trait ± days at a local time in the zone', () => {
    expect(dateTraitInstant('2026-05-20', -3, '09:00', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-05-17T07:00:00.000Z',
    );
    expect(dateTraitInstant('2026-05-20T22:30:00Z', 0, '09:00', 'Asia/Tokyo')?.toISOString()).toBe(
      '2026-05-21T00:00:00.000Z',
    );
    expect(dateTraitInstant('soon', 0, '09:00', 'UTC')).toBeUndefined();
    expect(dateTraitInstant(undefined, 0, '09:00', 'UTC')).toBeUndefined();
  });
});

describe('runs', () => {
  it('an A/B branch is deterministic per run ID and the shares come out near their percents', () => {
    const node = {
      type: 'randomSplit' as const,
      branches: [
        { percent: 45, next: 'a' },
        { percent: 45, next: 'b' },
      ],
      holdoutPercent: 10,
    };
    const counts: Record<string, number> = { a: 0, b: 0, holdout: 0 };
    for (let i = 0; i < 10_000; i++) {
      const runId = runIdOf('j1', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, null, 1);
      const branch = randomBranch(node, runId, 'ab.1');
      expect(randomBranch(node, runId, 'ab.1')).toBe(branch);
      counts[branch]!++;
    }
    expect(counts.holdout).toBeGreaterThan(800);
    expect(counts.holdout).toBeLessThan(1200);
    expect(counts.a).toBeGreaterThan(4200);
    expect(counts.b).toBeGreaterThan(4200);
  });

  it('re-entry: never, after exit, after N days', () => {
    const now = new Date('2026-03-10T00:00:00Z');
    const running = { enteredAt: new Date('2026-03-01T00:00:00Z'), exitedAt: null };
    const exited = { enteredAt: new Date('2026-03-01T00:00:00Z'), exitedAt: new Date('2026-03-05T00:00:00Z') };
    expect(mayEnter({ mode: 'never' }, undefined, now)).toBe(true);
    expect(mayEnter({ mode: 'never' }, exited, now)).toBe(false);
    expect(mayEnter({ mode: 'afterExit' }, running, now)).toBe(false);
    expect(mayEnter({ mode: 'afterExit' }, exited, now)).toBe(true);
    expect(mayEnter({ mode: 'afterDays', days: 5 }, exited, now)).toBe(true);
    expect(mayEnter({ mode: 'afterDays', days: 6 }, exited, now)).toBe(false);
  });
});
