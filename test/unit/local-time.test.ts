import { describe, expect, it } from 'vitest';
import {
  addLocalDays,
  businessDate,
  instantAt,
  isTimeZone,
  localDate,
  localDayNumber,
  localHour,
  localParts,
  nextLocalTime,
} from '../../domain/local-time';

const at = (iso: string) => new Date(iso);
const MARS = '"Mars/Base" is not an IANA time zone: use a name such as Europe/Berlin';

/** The instant instantAt found, or the test fails with its reason. */
function instantOf(result: ReturnType<typeof instantAt>): string {
  if (!result.ok) throw new Error(result.reason);
  return result.instant.toISOString();
}

describe('isTimeZone', () => {
  it('accepts IANA zone names and nothing else', () => {
    for (const zone of ['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Kathmandu', 'UTC', 'Etc/GMT+5']) {
      expect(isTimeZone(zone), zone).toBe(true);
    }
    for (const name of ['Mars/Base', '+05:00', '-03:00', '+0530', '', 'Europe/Berlin ', 'GMT+5', 'Berlin']) {
      expect(isTimeZone(name), name).toBe(false);
    }
  });

  it('builds a formatter once per name, for valid and invalid names alike', () => {
    const intl = Intl as { DateTimeFormat: typeof Intl.DateTimeFormat };
    const real = intl.DateTimeFormat;
    let built = 0;
    intl.DateTimeFormat = new Proxy(real, {
      construct(target, args: Parameters<typeof Intl.DateTimeFormat>) {
        built++;
        return new target(...args);
      },
    });
    try {
      expect(isTimeZone('Africa/Nairobi')).toBe(true);
      expect(isTimeZone('Atlantis/Capital')).toBe(false);
      expect(built).toBe(2);
      for (let i = 0; i < 100; i++) {
        isTimeZone('Africa/Nairobi');
        isTimeZone('Atlantis/Capital');
        localParts(at('2025-06-01T00:00:00Z'), 'Africa/Nairobi');
      }
      expect(built).toBe(2);
    } finally {
      intl.DateTimeFormat = real;
    }
    expect(localParts(at('2025-06-01T00:00:00Z'), 'Africa/Nairobi')).toMatchObject({ hour: 3, offsetMinutes: 180 });
  });
});

describe('localParts', () => {
  it('crosses the Berlin spring gap (2025-03-30 02:00 CET → 03:00 CEST) in one second', () => {
    expect(localParts(at('2025-03-30T00:59:59Z'), 'Europe/Berlin')).toEqual({
      date: '2025-03-30',
      hour: 1,
      minute: 59,
      second: 59,
      weekday: 7,
      offsetMinutes: 60,
    });
    expect(localParts(at('2025-03-30T01:00:00Z'), 'Europe/Berlin')).toEqual({
      date: '2025-03-30',
      hour: 3,
      minute: 0,
      second: 0,
      weekday: 7,
      offsetMinutes: 120,
    });
  });

  it('reads the Berlin autumn overlap (2025-10-26 03:00 CEST → 02:00 CET): 02:30 twice, an hour apart', () => {
    expect(localParts(at('2025-10-26T00:30:00Z'), 'Europe/Berlin')).toMatchObject({
      date: '2025-10-26',
      hour: 2,
      minute: 30,
      offsetMinutes: 120,
    });
    expect(localParts(at('2025-10-26T01:30:00Z'), 'Europe/Berlin')).toMatchObject({
      date: '2025-10-26',
      hour: 2,
      minute: 30,
      offsetMinutes: 60,
    });
  });

  it('follows New York across 2025-03-09 and 2025-11-02', () => {
    expect(localParts(at('2025-03-09T06:59:00Z'), 'America/New_York')).toMatchObject({
      hour: 1,
      minute: 59,
      offsetMinutes: -300,
    });
    expect(localParts(at('2025-03-09T07:00:00Z'), 'America/New_York')).toMatchObject({
      hour: 3,
      minute: 0,
      offsetMinutes: -240,
    });
    expect(localParts(at('2025-11-02T05:30:00Z'), 'America/New_York')).toMatchObject({
      date: '2025-11-02',
      hour: 1,
      minute: 30,
      offsetMinutes: -240,
    });
    expect(localParts(at('2025-11-02T06:30:00Z'), 'America/New_York')).toMatchObject({
      date: '2025-11-02',
      hour: 1,
      minute: 30,
      offsetMinutes: -300,
    });
  });

  it('keeps São Paulo at UTC−3 all year since Brazil dropped DST in 2019, and at −2 in the 2018 summer', () => {
    expect(localParts(at('2025-01-15T12:00:00Z'), 'America/Sao_Paulo')).toMatchObject({
      date: '2025-01-15',
      hour: 9,
      offsetMinutes: -180,
    });
    expect(localParts(at('2025-07-15T12:00:00Z'), 'America/Sao_Paulo')).toMatchObject({ hour: 9, offsetMinutes: -180 });
    expect(localParts(at('2018-12-01T12:00:00Z'), 'America/Sao_Paulo')).toMatchObject({
      hour: 10,
      offsetMinutes: -120,
    });
  });

  it('reads Tokyo at +9 all year, and its midnight as hour 0 of the new day', () => {
    expect(localParts(at('2025-01-15T12:00:00Z'), 'Asia/Tokyo')).toMatchObject({ hour: 21, offsetMinutes: 540 });
    expect(localParts(at('2025-07-01T15:00:00Z'), 'Asia/Tokyo')).toEqual({
      date: '2025-07-02',
      hour: 0,
      minute: 0,
      second: 0,
      weekday: 3,
      offsetMinutes: 540,
    });
  });

  it('reads midnight as hour 0, not 24', () => {
    expect(localParts(at('2025-01-01T00:00:00Z'), 'UTC')).toEqual({
      date: '2025-01-01',
      hour: 0,
      minute: 0,
      second: 0,
      weekday: 3,
      offsetMinutes: 0,
    });
    expect(localParts(at('2024-12-31T23:00:00Z'), 'Europe/Berlin')).toMatchObject({
      date: '2025-01-01',
      hour: 0,
      minute: 0,
    });
    expect(localParts(at('2025-03-09T05:00:00Z'), 'America/New_York')).toMatchObject({ date: '2025-03-09', hour: 0 });
  });

  it('reads 00:xx as hour 0 where an engine prints midnight as 24:xx', () => {
    // Older V8s printed 24:30 for half past midnight despite hourCycle h23; mimic one for a zone no other test uses.
    const intl = Intl as { DateTimeFormat: typeof Intl.DateTimeFormat };
    const real = intl.DateTimeFormat;
    intl.DateTimeFormat = new Proxy(real, {
      construct(target, args: Parameters<typeof Intl.DateTimeFormat>) {
        const formatter = new target(...args);
        const formatToParts = formatter.formatToParts.bind(formatter);
        formatter.formatToParts = (date) =>
          formatToParts(date).map((part) =>
            part.type === 'hour' && part.value === '00' ? { ...part, value: '24' } : part,
          );
        return formatter;
      },
    });
    try {
      expect(localParts(at('2025-06-14T23:30:00Z'), 'Africa/Lagos')).toEqual({
        date: '2025-06-15',
        hour: 0,
        minute: 30,
        second: 0,
        weekday: 7,
        offsetMinutes: 60,
      });
    } finally {
      intl.DateTimeFormat = real;
    }
  });

  it('drops milliseconds without disturbing the offset', () => {
    expect(localParts(at('2025-01-01T00:00:00.999Z'), 'UTC')).toEqual({
      date: '2025-01-01',
      hour: 0,
      minute: 0,
      second: 0,
      weekday: 3,
      offsetMinutes: 0,
    });
    expect(localParts(at('2025-03-30T00:59:59.999Z'), 'Europe/Berlin')).toMatchObject({
      hour: 1,
      minute: 59,
      second: 59,
      offsetMinutes: 60,
    });
    expect(localParts(at('1969-12-31T23:59:59.500Z'), 'UTC')).toMatchObject({
      date: '1969-12-31',
      second: 59,
      offsetMinutes: 0,
    });
  });

  it('reads offsets that are not whole hours: Kathmandu +05:45, St. John’s −03:30/−02:30', () => {
    expect(localParts(at('2025-06-01T00:00:00Z'), 'Asia/Kathmandu')).toMatchObject({
      date: '2025-06-01',
      hour: 5,
      minute: 45,
      offsetMinutes: 345,
    });
    expect(localParts(at('2025-01-15T12:00:00Z'), 'America/St_Johns')).toMatchObject({
      hour: 8,
      minute: 30,
      offsetMinutes: -210,
    });
    expect(localParts(at('2025-07-15T12:00:00Z'), 'America/St_Johns')).toMatchObject({
      hour: 9,
      minute: 30,
      offsetMinutes: -150,
    });
  });

  it('follows Lord Howe Island, whose clocks move by 30 minutes', () => {
    // 2025-04-06 02:00 +11:00 → 01:30 +10:30, and 2025-10-05 02:00 +10:30 → 02:30 +11:00.
    expect(localParts(at('2025-04-05T14:59:00Z'), 'Australia/Lord_Howe')).toMatchObject({
      date: '2025-04-06',
      hour: 1,
      minute: 59,
      offsetMinutes: 660,
    });
    expect(localParts(at('2025-04-05T15:00:00Z'), 'Australia/Lord_Howe')).toMatchObject({
      date: '2025-04-06',
      hour: 1,
      minute: 30,
      offsetMinutes: 630,
    });
    expect(localParts(at('2025-10-04T15:29:00Z'), 'Australia/Lord_Howe')).toMatchObject({
      date: '2025-10-05',
      hour: 1,
      minute: 59,
      offsetMinutes: 630,
    });
    expect(localParts(at('2025-10-04T15:30:00Z'), 'Australia/Lord_Howe')).toMatchObject({
      date: '2025-10-05',
      hour: 2,
      minute: 30,
      offsetMinutes: 660,
    });
  });

  it('puts one instant on local dates two days apart either side of the date line', () => {
    const instant = at('2025-06-15T10:30:00Z');
    expect(localParts(instant, 'Pacific/Kiritimati')).toEqual({
      date: '2025-06-16',
      hour: 0,
      minute: 30,
      second: 0,
      weekday: 1,
      offsetMinutes: 840,
    });
    expect(localParts(instant, 'Pacific/Pago_Pago')).toEqual({
      date: '2025-06-14',
      hour: 23,
      minute: 30,
      second: 0,
      weekday: 6,
      offsetMinutes: -660,
    });
    expect(localDate(instant, 'UTC')).toBe('2025-06-15');
  });

  it('knows the leap day', () => {
    expect(localParts(at('2024-02-29T12:00:00Z'), 'UTC')).toMatchObject({ date: '2024-02-29', weekday: 4 });
    expect(localDate(at('2024-02-29T23:30:00Z'), 'Asia/Tokyo')).toBe('2024-03-01');
    expect(localParts(at('2024-03-01T03:00:00Z'), 'America/New_York')).toMatchObject({ date: '2024-02-29', hour: 22 });
  });

  it('puts 2025-12-31T23:30Z in 2026 in Tokyo and in 2025 in UTC', () => {
    const instant = at('2025-12-31T23:30:00Z');
    expect(localParts(instant, 'Asia/Tokyo')).toEqual({
      date: '2026-01-01',
      hour: 8,
      minute: 30,
      second: 0,
      weekday: 4,
      offsetMinutes: 540,
    });
    expect(localParts(instant, 'UTC')).toEqual({
      date: '2025-12-31',
      hour: 23,
      minute: 30,
      second: 0,
      weekday: 3,
      offsetMinutes: 0,
    });
  });

  it('offers localDate and localHour as shorthands', () => {
    expect(localDate(at('2025-10-26T01:30:00Z'), 'Europe/Berlin')).toBe('2025-10-26');
    expect(localHour(at('2025-10-26T01:30:00Z'), 'Europe/Berlin')).toBe(2);
    expect(localHour(at('2025-03-30T01:00:00Z'), 'Europe/Berlin')).toBe(3);
  });

  it('does not depend on the machine’s time zone', () => {
    const before = process.env.TZ;
    const instant = at('2025-10-26T01:30:00Z');
    try {
      process.env.TZ = 'Pacific/Kiritimati';
      const kiritimatiMachine = [
        localParts(instant, 'Europe/Berlin'),
        instantOf(instantAt('2025-10-26', '02:30', 'Europe/Berlin', 'later')),
      ];
      process.env.TZ = 'America/Los_Angeles';
      const losAngelesMachine = [
        localParts(instant, 'Europe/Berlin'),
        instantOf(instantAt('2025-10-26', '02:30', 'Europe/Berlin', 'later')),
      ];
      expect(kiritimatiMachine).toEqual(losAngelesMachine);
      expect(kiritimatiMachine[1]).toBe('2025-10-26T01:30:00.000Z');
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('throws a RangeError naming the zone for an unknown zone, and refuses invalid instants', () => {
    expect(() => localParts(at('2025-01-01T00:00:00Z'), 'Mars/Base')).toThrow(new RangeError(MARS));
    expect(() => localDate(at('2025-01-01T00:00:00Z'), '+05:00')).toThrow(RangeError);
    expect(() => localParts(new Date(Number.NaN), 'UTC')).toThrow(/invalid Date/);
  });
});

describe('businessDate', () => {
  const berlinStore = 'Europe/Berlin';

  it('counts a 02:30 sale in the previous day when the business day starts at 04:00', () => {
    const sale = at('2025-06-14T00:30:00Z'); // 02:30 CEST on Saturday 14 June
    expect(localDate(sale, berlinStore)).toBe('2025-06-14');
    expect(businessDate(sale, berlinStore, 4)).toBe('2025-06-13');
    expect(businessDate(sale, berlinStore)).toBe('2025-06-14');
  });

  it('starts the business day at exactly 04:00 local time', () => {
    expect(businessDate(at('2025-06-14T01:59:59Z'), berlinStore, 4)).toBe('2025-06-13'); // 03:59:59
    expect(businessDate(at('2025-06-14T02:00:00Z'), berlinStore, 4)).toBe('2025-06-14'); // 04:00:00
    // In winter Berlin is UTC+1, so 04:00 local is 03:00Z.
    expect(businessDate(at('2025-01-14T02:59:59Z'), berlinStore, 4)).toBe('2025-01-13');
    expect(businessDate(at('2025-01-14T03:00:00Z'), berlinStore, 4)).toBe('2025-01-14');
  });

  it('carries an early-morning sale back across the year and the leap day', () => {
    expect(businessDate(at('2026-01-01T01:00:00Z'), berlinStore, 4)).toBe('2025-12-31'); // 02:00 on New Year's Day
    expect(businessDate(at('2025-12-31T15:30:00Z'), 'Asia/Tokyo', 4)).toBe('2025-12-31'); // 00:30 on 1 January in Tokyo
    expect(businessDate(at('2025-12-31T23:30:00Z'), 'Asia/Tokyo', 4)).toBe('2026-01-01'); // 08:30
    expect(businessDate(at('2024-02-29T17:30:00Z'), 'Asia/Tokyo', 4)).toBe('2024-02-29'); // 02:30 on 1 March in Tokyo
    expect(businessDate(at('2024-02-29T19:00:00Z'), 'Asia/Tokyo', 4)).toBe('2024-03-01'); // 04:00
  });

  it('rejects a day start that is not a whole hour from 0 to 23', () => {
    for (const hour of [-1, 24, 4.5, Number.NaN]) {
      expect(() => businessDate(at('2025-06-14T00:30:00Z'), berlinStore, hour), String(hour)).toThrow(
        /dayStartsAtHour must be a whole hour from 0 to 23/,
      );
    }
    expect(() => businessDate(at('2025-06-14T00:30:00Z'), 'Mars/Base', 4)).toThrow(MARS);
  });
});

describe('instantAt', () => {
  it('moves a time in the Berlin spring gap forward by the gap, and says so', () => {
    // 02:30 on 2025-03-30 does not exist in Berlin: 03:30 CEST, i.e. 01:30Z.
    expect(instantAt('2025-03-30', '02:30', 'Europe/Berlin')).toEqual({
      ok: true,
      instant: at('2025-03-30T01:30:00Z'),
      adjusted: 'skipped-gap',
    });
    expect(instantAt('2025-03-30', '02:30', 'Europe/Berlin', 'later')).toEqual({
      ok: true,
      instant: at('2025-03-30T01:30:00Z'),
      adjusted: 'skipped-gap',
    });
    const refused = instantAt('2025-03-30', '02:30', 'Europe/Berlin', 'reject');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toBe(
      '02:30 on 2025-03-30 does not exist in Europe/Berlin (clocks jump forward over it): pick another time, or allow the shift past the jump',
    );
  });

  it('picks the earlier or later 02:30 in the Berlin autumn overlap, or refuses', () => {
    expect(instantAt('2025-10-26', '02:30', 'Europe/Berlin')).toStrictEqual({
      ok: true,
      instant: at('2025-10-26T00:30:00Z'),
    });
    expect(instantAt('2025-10-26', '02:30', 'Europe/Berlin', 'earlier')).toStrictEqual({
      ok: true,
      instant: at('2025-10-26T00:30:00Z'),
    });
    expect(instantAt('2025-10-26', '02:30', 'Europe/Berlin', 'later')).toStrictEqual({
      ok: true,
      instant: at('2025-10-26T01:30:00Z'),
    });
    expect(instantAt('2025-10-26', '02:30', 'Europe/Berlin', 'reject')).toEqual({
      ok: false,
      reason: "02:30 on 2025-10-26 happens twice in Europe/Berlin (clocks go back): choose 'earlier' or 'later'",
    });
    // Just outside the overlap there is one answer, and 'reject' has nothing to refuse.
    expect(instantAt('2025-10-26', '03:00', 'Europe/Berlin', 'reject')).toStrictEqual({
      ok: true,
      instant: at('2025-10-26T02:00:00Z'),
    });
    expect(instantAt('2025-10-26', '01:59:59', 'Europe/Berlin', 'reject')).toStrictEqual({
      ok: true,
      instant: at('2025-10-25T23:59:59Z'),
    });
  });

  it('handles New York’s 2025 gap and overlap', () => {
    expect(instantAt('2025-03-09', '02:30', 'America/New_York')).toEqual({
      ok: true,
      instant: at('2025-03-09T07:30:00Z'),
      adjusted: 'skipped-gap',
    });
    expect(instantOf(instantAt('2025-11-02', '01:30', 'America/New_York', 'earlier'))).toBe('2025-11-02T05:30:00.000Z');
    expect(instantOf(instantAt('2025-11-02', '01:30', 'America/New_York', 'later'))).toBe('2025-11-02T06:30:00.000Z');
  });

  it('handles Lord Howe’s 30-minute gap and overlap', () => {
    expect(instantAt('2025-10-05', '02:15', 'Australia/Lord_Howe')).toEqual({
      ok: true,
      instant: at('2025-10-04T15:45:00Z'),
      adjusted: 'skipped-gap',
    });
    expect(instantOf(instantAt('2025-04-06', '01:45', 'Australia/Lord_Howe', 'earlier'))).toBe(
      '2025-04-05T14:45:00.000Z',
    );
    expect(instantOf(instantAt('2025-04-06', '01:45', 'Australia/Lord_Howe', 'later'))).toBe(
      '2025-04-05T15:15:00.000Z',
    );
  });

  it('handles fixed and fractional offsets, seconds included', () => {
    expect(instantOf(instantAt('2025-06-01', '10:15:30', 'Asia/Kathmandu'))).toBe('2025-06-01T04:30:30.000Z');
    expect(instantOf(instantAt('2025-01-15', '08:30', 'America/St_Johns'))).toBe('2025-01-15T12:00:00.000Z');
    expect(instantOf(instantAt('2025-11-02', '00:00', 'America/Sao_Paulo', 'reject'))).toBe('2025-11-02T03:00:00.000Z');
    // Before 2019 Brazil's DST began at midnight: 2018-11-04 00:00 never happened in São Paulo.
    expect(instantAt('2018-11-04', '00:00', 'America/Sao_Paulo')).toEqual({
      ok: true,
      instant: at('2018-11-04T03:00:00Z'),
      adjusted: 'skipped-gap',
    });
  });

  it('finds one instant from local times on dates two days apart across the date line', () => {
    expect(instantOf(instantAt('2025-06-16', '00:30', 'Pacific/Kiritimati'))).toBe('2025-06-15T10:30:00.000Z');
    expect(instantOf(instantAt('2025-06-14', '23:30', 'Pacific/Pago_Pago'))).toBe('2025-06-15T10:30:00.000Z');
  });

  it('places the leap day and the year end', () => {
    expect(instantOf(instantAt('2024-02-29', '09:00', 'Asia/Tokyo'))).toBe('2024-02-29T00:00:00.000Z');
    expect(instantOf(instantAt('2026-01-01', '08:30', 'Asia/Tokyo'))).toBe('2025-12-31T23:30:00.000Z');
    expect(instantOf(instantAt('2025-12-31', '23:30', 'UTC'))).toBe('2025-12-31T23:30:00.000Z');
  });

  // Offsets (hours) on each switch day, from the tz rules: the offset before the switch applies to
  // wall times before `switchHour`, the one after from then on. Gap times use the offset before.
  const switchDays = [
    { zone: 'Europe/Berlin', date: '2025-03-30', before: 1, after: 2, earlierSwitch: 3, laterSwitch: 3, gapHour: 2 },
    {
      zone: 'Europe/Berlin',
      date: '2025-10-26',
      before: 2,
      after: 1,
      earlierSwitch: 3,
      laterSwitch: 2,
      gapHour: undefined,
    },
    {
      zone: 'America/New_York',
      date: '2025-03-09',
      before: -5,
      after: -4,
      earlierSwitch: 3,
      laterSwitch: 3,
      gapHour: 2,
    },
    {
      zone: 'America/New_York',
      date: '2025-11-02',
      before: -4,
      after: -5,
      earlierSwitch: 2,
      laterSwitch: 1,
      gapHour: undefined,
    },
  ];

  for (const day of switchDays) {
    it(`round-trips every hour and half hour of ${day.date} in ${day.zone}`, () => {
      const [year, month, date] = day.date.split('-').map(Number) as [number, number, number];
      for (let hour = 0; hour < 24; hour++) {
        for (const minute of [0, 30]) {
          const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
          for (const choice of ['earlier', 'later'] as const) {
            const switchHour = choice === 'earlier' ? day.earlierSwitch : day.laterSwitch;
            const offset = hour < switchHour ? day.before : day.after;
            const expected = new Date(Date.UTC(year, month - 1, date, hour - offset, minute));
            const result = instantAt(day.date, time, day.zone, choice);
            const label = `${time} ${choice}`;
            expect(result, label).toEqual(
              hour === day.gapHour
                ? { ok: true, instant: expected, adjusted: 'skipped-gap' }
                : { ok: true, instant: expected },
            );
            if (!result.ok) continue;
            const back = localParts(result.instant, day.zone);
            expect(back.date, label).toBe(day.date);
            // A skipped time reads back one hour later on the wall clock; every other time reads back as itself.
            expect([back.hour, back.minute], label).toEqual([hour === day.gapHour ? hour + 1 : hour, minute]);
            expect(back.offsetMinutes, label).toBe((hour === day.gapHour ? day.after : offset) * 60);
          }
        }
      }
    });
  }

  it('explains unknown zones, impossible dates and malformed times', () => {
    expect(instantAt('2025-06-01', '10:00', 'Mars/Base')).toEqual({ ok: false, reason: MARS });
    expect(instantAt('2025-06-01', '10:00', '+05:00')).toEqual({
      ok: false,
      reason: '"+05:00" is not an IANA time zone: use a name such as Europe/Berlin',
    });
    expect(instantAt('2025-02-29', '10:00', 'UTC')).toEqual({
      ok: false,
      reason: '"2025-02-29" is not a calendar date: use YYYY-MM-DD, e.g. 2025-03-30',
    });
    for (const badDate of ['2025-13-01', '2025-04-31', '25-06-01', '2025-6-1', '0000-01-01']) {
      expect(instantAt(badDate, '10:00', 'UTC').ok, badDate).toBe(false);
    }
    expect(instantAt('2025-06-01', '24:00', 'UTC')).toEqual({
      ok: false,
      reason: '"24:00" is not a time of day: use HH:MM or HH:MM:SS on a 24-hour clock, e.g. 10:00',
    });
    for (const badTime of ['9:00', '10:60', '10:00:60', '10', '10:00 am', '10:00:00.5']) {
      expect(instantAt('2025-06-01', badTime, 'UTC').ok, badTime).toBe(false);
    }
  });
});

describe('nextLocalTime', () => {
  it('finds the next 10:00 in Berlin, strictly after the given instant', () => {
    expect(nextLocalTime(at('2025-06-14T07:59:00Z'), '10:00', 'Europe/Berlin')).toEqual(at('2025-06-14T08:00:00Z'));
    expect(nextLocalTime(at('2025-06-14T08:00:00Z'), '10:00', 'Europe/Berlin')).toEqual(at('2025-06-15T08:00:00Z'));
  });

  it('is 23 hours from one 10:00 to the next across the spring switch, 25 across the autumn one', () => {
    expect(nextLocalTime(at('2025-03-29T09:00:00Z'), '10:00', 'Europe/Berlin')).toEqual(at('2025-03-30T08:00:00Z'));
    expect(nextLocalTime(at('2025-10-25T08:00:00Z'), '10:00', 'Europe/Berlin')).toEqual(at('2025-10-26T09:00:00Z'));
    expect(nextLocalTime(at('2025-11-01T14:00:00Z'), '10:00', 'America/New_York')).toEqual(at('2025-11-02T15:00:00Z'));
  });

  it('takes a skipped time as shifted past the gap, and a repeated time at its next occurrence', () => {
    expect(nextLocalTime(at('2025-03-29T12:00:00Z'), '02:30', 'Europe/Berlin')).toEqual(at('2025-03-30T01:30:00Z'));
    expect(nextLocalTime(at('2025-10-25T22:00:00Z'), '02:30', 'Europe/Berlin')).toEqual(at('2025-10-26T00:30:00Z'));
    // At 02:45 CEST the clocks have yet to go back: 02:30 comes round again, in CET.
    expect(nextLocalTime(at('2025-10-26T00:45:00Z'), '02:30', 'Europe/Berlin')).toEqual(at('2025-10-26T01:30:00Z'));
    expect(nextLocalTime(at('2025-10-26T01:30:00Z'), '02:30', 'Europe/Berlin')).toEqual(at('2025-10-27T01:30:00Z'));
  });

  it('uses the local date of each zone across the date line', () => {
    const instant = at('2025-06-15T10:30:00Z'); // 00:30 on the 16th in Kiritimati, 23:30 on the 14th in Pago Pago
    expect(nextLocalTime(instant, '09:00', 'Pacific/Kiritimati')).toEqual(at('2025-06-15T19:00:00Z'));
    expect(nextLocalTime(instant, '09:00', 'Pacific/Pago_Pago')).toEqual(at('2025-06-15T20:00:00Z'));
    expect(nextLocalTime(instant, '23:45', 'Pacific/Pago_Pago')).toEqual(at('2025-06-15T10:45:00Z'));
  });

  it('finds yesterday’s date again when the clocks go back past midnight (Juneau, 1867: Alaska became American)', () => {
    // At 15:33:32 local mean time on 19 October (+15:02:19) the clocks went back a whole day (−8:57:41).
    const before = at('1867-10-19T00:00:00Z');
    expect(localParts(before, 'America/Juneau')).toMatchObject({ date: '1867-10-19', hour: 15, minute: 2, second: 19 });
    expect(localParts(at('1867-10-19T00:31:13Z'), 'America/Juneau')).toMatchObject({
      date: '1867-10-18',
      hour: 15,
      minute: 33,
      second: 32,
    });
    expect(nextLocalTime(before, '16:00', 'America/Juneau')).toEqual(at('1867-10-19T00:57:41Z'));
  });

  it('crosses the leap day and the year end', () => {
    expect(nextLocalTime(at('2024-02-28T01:00:00Z'), '09:00', 'Asia/Tokyo')).toEqual(at('2024-02-29T00:00:00Z'));
    expect(nextLocalTime(at('2025-12-31T01:00:00Z'), '08:30', 'Asia/Tokyo')).toEqual(at('2025-12-31T23:30:00Z'));
  });

  it('throws a RangeError for an unknown zone or a malformed time', () => {
    expect(() => nextLocalTime(at('2025-06-14T08:00:00Z'), '10:00', 'Mars/Base')).toThrow(new RangeError(MARS));
    expect(() => nextLocalTime(at('2025-06-14T08:00:00Z'), '10 am', 'Europe/Berlin')).toThrow(
      /"10 am" is not a time of day/,
    );
  });
});

describe('addLocalDays', () => {
  it('does calendar arithmetic across month, leap day and year ends', () => {
    expect(addLocalDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addLocalDays('2024-02-29', 1)).toBe('2024-03-01');
    expect(addLocalDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addLocalDays('2024-02-29', 365)).toBe('2025-02-28');
    expect(addLocalDays('2024-02-29', 366)).toBe('2025-03-01');
    expect(addLocalDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addLocalDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addLocalDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(addLocalDays('2025-06-15', 0)).toBe('2025-06-15');
    expect(addLocalDays('0050-01-01', 0)).toBe('0050-01-01');
  });

  it('is not thrown off by the DST switch days it crosses (no zone involved)', () => {
    expect(addLocalDays('2025-03-29', 2)).toBe('2025-03-31');
    expect(addLocalDays('2025-10-25', 2)).toBe('2025-10-27');
  });

  it('refuses impossible dates and fractional days', () => {
    expect(() => addLocalDays('2025-02-29', 1)).toThrow(
      new RangeError('"2025-02-29" is not a calendar date: use YYYY-MM-DD, e.g. 2025-03-30'),
    );
    expect(() => addLocalDays('2025-06-15', 1.5)).toThrow(/days must be a whole number/);
    expect(() => addLocalDays('9999-12-31', 1)).toThrow(/outside the years 0001–9999/);
  });
});

describe('localDayNumber', () => {
  it('counts calendar days from 1970-01-01, so differences are days between dates', () => {
    expect(localDayNumber('1970-01-01')).toBe(0);
    expect(localDayNumber('1997-09-30') - localDayNumber('1997-01-01')).toBe(272);
    expect(localDayNumber('2024-03-01') - localDayNumber('2024-02-28')).toBe(2);
    expect(localDayNumber('2025-03-31') - localDayNumber('2025-03-29')).toBe(2);
    expect(localDayNumber('1969-12-31')).toBe(-1);
    for (const [date, days] of [
      ['2024-02-29', 365],
      ['2025-12-31', -400],
      ['0050-01-01', 7],
    ] as const) {
      expect(localDayNumber(addLocalDays(date, days)) - localDayNumber(date)).toBe(days);
    }
    expect(() => localDayNumber('2025-02-29')).toThrow(/"2025-02-29" is not a calendar date/);
  });
});
