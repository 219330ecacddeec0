import { describe, expect, it } from 'vitest';
import { isPublicHoliday, nextAllowedInstant, quietHoursRule } from '../../domain/quiet-hours';

const at = (iso: string) => new Date(iso);

describe('nextAllowedInstant', () => {
  it('moves a French SMS due 23:00 on a Saturday to Monday 08:00 (no Sunday sends)', () => {
    // 2026-03-07 is a Saturday; Paris is UTC+1 in March before the change.
    expect(nextAllowedInstant(at('2026-03-07T22:00:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-03-09T07:00:00.000Z',
    );
  });

  it('moves a French SMS due on 14 July to 15 July 08:00', () => {
    expect(nextAllowedInstant(at('2026-07-14T08:00:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-07-15T06:00:00.000Z',
    );
  });

  it('is exact across the DST change: Saturday 23:00 CET → Monday 08:00 CEST', () => {
    // Clocks go forward in Paris on Sunday 2026-03-29: the offset at the send instant is +2, not +1.
    expect(nextAllowedInstant(at('2026-03-28T22:00:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-03-30T06:00:00.000Z',
    );
    // New York: 22:00 EST on Saturday 2026-03-07 → Sunday 08:00 EDT (clocks change that night).
    expect(nextAllowedInstant(at('2026-03-08T03:00:00Z'), 'America/New_York', 'US', 'sms').toISOString()).toBe(
      '2026-03-08T12:00:00.000Z',
    );
  });

  it('skips a Sunday followed by a public holiday (Easter Monday 2026)', () => {
    expect(isPublicHoliday('FR', '2026-04-06')).toBe(true);
    expect(nextAllowedInstant(at('2026-04-04T21:00:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-04-07T06:00:00.000Z',
    );
  });

  it('waits for the opening hour on the same day, and keeps an allowed instant as it is', () => {
    expect(nextAllowedInstant(at('2026-03-10T05:30:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-03-10T07:00:00.000Z',
    );
    expect(nextAllowedInstant(at('2026-03-10T20:59:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-03-10T20:59:00.000Z',
    );
    // 22:00 local is already closed (the window is 08:00–22:00).
    expect(nextAllowedInstant(at('2026-03-10T21:00:00Z'), 'Europe/Paris', 'FR', 'sms').toISOString()).toBe(
      '2026-03-11T07:00:00.000Z',
    );
  });

  it('applies the 21:00 close of the other sourced markets, and nothing to email or unlisted countries', () => {
    expect(quietHoursRule('GB', 'sms')?.allowedUntil).toBe('21:00');
    // 21:30 in London on a Sunday: next 08:00 (Sundays are allowed in the UK).
    expect(nextAllowedInstant(at('2026-06-07T20:30:00Z'), 'Europe/London', 'GB', 'sms').toISOString()).toBe(
      '2026-06-08T07:00:00.000Z',
    );
    expect(nextAllowedInstant(at('2026-03-07T22:00:00Z'), 'Europe/Paris', 'FR', 'email').toISOString()).toBe(
      '2026-03-07T22:00:00.000Z',
    );
    expect(nextAllowedInstant(at('2026-03-07T22:00:00Z'), 'Asia/Tokyo', 'JP', 'sms').toISOString()).toBe(
      '2026-03-07T22:00:00.000Z',
    );
  });

  it('refuses an unknown zone', () => {
    expect(() => nextAllowedInstant(at('2026-03-07T22:00:00Z'), 'Mars/Olympus', 'FR', 'sms')).toThrow(RangeError);
  });
});
