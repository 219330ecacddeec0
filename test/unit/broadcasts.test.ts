import { describe, expect, it } from 'vitest';
import {
  broadcastInputSchema,
  broadcastZone,
  groupByInstant,
  sendInstant,
  type BroadcastSchedule,
} from '../../domain/broadcasts';
import { describeIssues } from '../../domain/validation';

const schedule = (over: Partial<BroadcastSchedule> = {}): BroadcastSchedule => ({
  localTime: '10:00',
  whenPassed: 'next-day',
  fallbackZone: 'UTC',
  ...over,
});
const at = (r: ReturnType<typeof sendInstant>) => ('at' in r ? r.at.toISOString() : r.skipped);

describe('a broadcast at 10:00 local time', () => {
  it('reaches Tokyo, Berlin and São Paulo each at their own 10:00, Berlin exact across the March DST change', () => {
    // Berlin moves to summer time at 02:00 on Sunday 2027-03-28: 10:00 is 08:00Z that day, 09:00Z the day before.
    const started = new Date('2027-03-26T00:00:00Z');
    const on = (localDate: string) => schedule({ localDate });
    expect(at(sendInstant(started, on('2027-03-27'), 'Europe/Berlin'))).toBe('2027-03-27T09:00:00.000Z');
    expect(at(sendInstant(started, on('2027-03-28'), 'Europe/Berlin'))).toBe('2027-03-28T08:00:00.000Z');
    expect(at(sendInstant(started, on('2027-03-28'), 'Asia/Tokyo'))).toBe('2027-03-28T01:00:00.000Z');
    // São Paulo has had no DST since 2019: UTC−3 all year.
    expect(at(sendInstant(started, on('2027-03-28'), 'America/Sao_Paulo'))).toBe('2027-03-28T13:00:00.000Z');
  });

  it('takes each zone’s own date at the start when no date is set; a zone whose 10:00 passed gets the next day or nothing', () => {
    // 2026-12-07 05:00Z: 14:00 in Tokyo (passed), 06:00 in Berlin, 02:00 in São Paulo.
    const started = new Date('2026-12-07T05:00:00Z');
    expect(at(sendInstant(started, schedule(), 'Europe/Berlin'))).toBe('2026-12-07T09:00:00.000Z');
    expect(at(sendInstant(started, schedule(), 'America/Sao_Paulo'))).toBe('2026-12-07T13:00:00.000Z');
    expect(at(sendInstant(started, schedule(), 'Asia/Tokyo'))).toBe('2026-12-08T01:00:00.000Z');
    expect(at(sendInstant(started, schedule({ whenPassed: 'skip' }), 'Asia/Tokyo'))).toBe('time-passed');
    expect(at(sendInstant(started, schedule({ whenPassed: 'skip' }), 'Europe/Berlin'))).toBe(
      '2026-12-07T09:00:00.000Z',
    );
  });

  it('moves a time skipped by the clocks jumping forward past the jump', () => {
    const started = new Date('2027-03-01T00:00:00Z');
    // 02:30 does not exist in Berlin on 2027-03-28: it is 03:30 CEST, 01:30Z.
    expect(at(sendInstant(started, schedule({ localTime: '02:30', localDate: '2027-03-28' }), 'Europe/Berlin'))).toBe(
      '2027-03-28T01:30:00.000Z',
    );
  });

  it('groups people by instant, in time order', () => {
    const started = new Date('2027-03-26T00:00:00Z');
    const people = [
      ['a', 'Europe/Berlin'],
      ['b', 'Asia/Tokyo'],
      ['c', 'Europe/Paris'],
      ['d', 'America/Sao_Paulo'],
      ['e', 'Asia/Tokyo'],
    ].map(([id, zone]) => {
      const r = sendInstant(started, schedule({ localDate: '2027-03-28' }), zone!);
      return { id: id!, at: (r as { at: Date }).at };
    });
    const groups = [...groupByInstant(people)].map(([ms, g]) => [new Date(ms).toISOString(), g.map((p) => p.id)]);
    expect(groups).toEqual([
      ['2027-03-28T01:00:00.000Z', ['b', 'e']],
      ['2027-03-28T08:00:00.000Z', ['a', 'c']],
      ['2027-03-28T13:00:00.000Z', ['d']],
    ]);
  });
});

describe('a person’s zone', () => {
  it('is their own, else their market’s default, else the marketer’s fallback', () => {
    expect(broadcastZone({ zone: 'Asia/Tokyo', country: 'FR' }, 'UTC')).toBe('Asia/Tokyo');
    expect(broadcastZone({ zone: 'Not/AZone', country: 'FR' }, 'UTC')).toBe('Europe/Paris');
    expect(broadcastZone({ country: 'de' }, 'UTC')).toBe('Europe/Berlin');
    expect(broadcastZone({ country: 'JP' }, 'Asia/Singapore')).toBe('Asia/Singapore');
    expect(broadcastZone({}, 'America/Sao_Paulo')).toBe('America/Sao_Paulo');
  });
});

describe('broadcast input', () => {
  const good = {
    id: 'spring',
    name: 'Spring',
    region: 'eu',
    brandId: 'default',
    segmentId: 'vip',
    channel: 'email',
    templateRef: 'spring_sale',
    localTime: '10:00',
    whenPassed: 'next-day',
    fallbackZone: 'Europe/Berlin',
  };
  it('names the field and rule', () => {
    expect(broadcastInputSchema.safeParse(good).success).toBe(true);
    const bad = (patch: object) => describeIssues(broadcastInputSchema.safeParse({ ...good, ...patch }).error!, 'body');
    expect(bad({ localTime: '25:00' })).toContain('localTime must be HH:MM');
    expect(bad({ fallbackZone: 'Mars/Base' })).toContain('fallbackZone: must be an IANA time zone');
    expect(bad({ whenPassed: 'later' })).toContain('whenPassed must be one of next-day, skip');
    expect(bad({ localDate: '2027-02-30' })).toContain('localDate is not a calendar date');
    expect(bad({ templateRef: 'Spring Sale' })).toContain('templateRef must name a template');
  });
});
