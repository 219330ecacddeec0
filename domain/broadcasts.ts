import { z } from 'zod';
import { brandIdSchema } from './brands';
import { addLocalDays, instantAt, isTimeZone, localDate } from './local-time';
import { CHANNELS, MARKET_ZONES } from './quiet-hours';
import { parseTemplateRef } from './templates';

/**
 * Broadcasts (issue 12): one message to a whole segment, in one region, at a local time of day in
 * each person's zone. A person's instant is exact across DST (domain/local-time.ts `instantAt`); a
 * zone where the time has already passed when the broadcast starts gets it the next local day or
 * not at all, as the marketer chose; an unknown zone is the person's market's default zone, else
 * the fallback zone the marketer set. Everything here is pure; workflows/broadcast.ts drives it.
 */

export const BROADCAST_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const broadcastIdSchema = z
  .string({ error: 'id is required' })
  .regex(BROADCAST_ID_PATTERN, { error: 'id must be 1–64 lower-case letters, digits, _ or -' });

export const WHEN_PASSED = ['next-day', 'skip'] as const;
export type WhenPassed = (typeof WHEN_PASSED)[number];

const localTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, { error: 'localTime must be HH:MM or HH:MM:SS (24 h), e.g. 10:00' });
const localDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'localDate must be YYYY-MM-DD' })
  .refine((d) => instantAt(d, '12:00', 'UTC').ok, { error: 'localDate is not a calendar date' });
const zoneSchema = z.string().refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Berlin' });

export const broadcastInputSchema = z.strictObject({
  id: broadcastIdSchema,
  name: z.string().trim().min(1).max(200),
  region: z.string().min(1),
  brandId: brandIdSchema,
  segmentId: z.string().min(1).max(200),
  channel: z.enum(CHANNELS, { error: `channel must be one of ${CHANNELS.join(', ')}` }),
  /** A template (`id`, pinned to its latest version when created, or `id:vN`). */
  templateRef: z.string().refine((r) => parseTemplateRef(r) !== undefined, {
    error: 'templateRef must name a template: its id, or id:vN for a version',
  }),
  /** The local time of day each person gets it, in their own zone. */
  localTime: localTimeSchema,
  /** The local calendar date; by default the date in each zone when the broadcast starts. */
  localDate: localDateSchema.optional(),
  /** A zone where the time has already passed when the broadcast starts: the next local day, or not at all. */
  whenPassed: z.enum(WHEN_PASSED, { error: `whenPassed must be one of ${WHEN_PASSED.join(', ')}` }),
  /** The zone of people whose zone and market are unknown. */
  fallbackZone: zoneSchema,
});
export type BroadcastInput = z.infer<typeof broadcastInputSchema>;

export type BroadcastSchedule = Pick<BroadcastInput, 'localTime' | 'localDate' | 'whenPassed' | 'fallbackZone'>;

export type BroadcastStatus = 'draft' | 'running' | 'paused' | 'completed' | 'cancelled';

/** What is known of a person's zone: their latest event's (if a real zone) and their country. */
export interface ZoneClues {
  zone?: string | null;
  country?: string | null;
}

/** The zone a person's instant is computed in: theirs, else their market's default, else the fallback. */
export function broadcastZone(clues: ZoneClues, fallbackZone: string): string {
  if (clues.zone && isTimeZone(clues.zone)) return clues.zone;
  const market = clues.country ? MARKET_ZONES[clues.country.toUpperCase()] : undefined;
  return market ?? fallbackZone;
}

export type SendInstant = { at: Date } | { skipped: 'time-passed' | 'no-such-time' };

/**
 * The instant a person in `zone` gets the broadcast started at `startedAt`: `localTime` on the
 * broadcast's local date (by default the zone's date at the start), DST-exact (a time skipped by a
 * jump forward moves past it; a time that happens twice is the first). Already passed: the next
 * local day's, or skipped.
 */
export function sendInstant(startedAt: Date, schedule: BroadcastSchedule, zone: string): SendInstant {
  const date = schedule.localDate ?? localDate(startedAt, zone);
  const first = instantAt(date, schedule.localTime, zone, 'earlier');
  if (!first.ok) return { skipped: 'no-such-time' };
  if (first.instant.getTime() >= startedAt.getTime()) return { at: first.instant };
  if (schedule.whenPassed === 'skip') return { skipped: 'time-passed' };
  // The next local day on which the time is still ahead (a fixed past date may be days behind).
  let day = date;
  for (let i = 0; i < 400; i++) {
    day = addLocalDays(day, 1);
    const next = instantAt(day, schedule.localTime, zone, 'earlier');
    if (next.ok && next.instant.getTime() >= startedAt.getTime()) return { at: next.instant };
  }
  return { skipped: 'no-such-time' };
}

/** How many people get it at one UTC instant in one zone, or are skipped there (no instant). */
export interface PreviewGroup {
  zone: string;
  at: string | null;
  skipped?: 'time-passed' | 'no-such-time';
  count: number;
}

/**
 * Before a broadcast starts: how many people would get it at which UTC instant, from how many
 * members are in each zone (broadcastZone) and the start; soonest first, the skipped last.
 */
export function previewByZone(
  membersByZone: ReadonlyMap<string, number>,
  schedule: BroadcastSchedule,
  startedAt: Date,
): PreviewGroup[] {
  const groups = [...membersByZone].map(([zone, count]): PreviewGroup => {
    const instant = sendInstant(startedAt, schedule, zone);
    return 'at' in instant
      ? { zone, at: instant.at.toISOString(), count }
      : { zone, at: null, skipped: instant.skipped, count };
  });
  return groups.sort((a, b) =>
    a.at === b.at ? a.zone.localeCompare(b.zone) : a.at === null ? 1 : b.at === null ? -1 : a.at.localeCompare(b.at),
  );
}

/** People grouped by the instant they get it: each group is sent when its instant comes. */
export function groupByInstant<T extends { at: Date }>(planned: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const p of [...planned].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const key = p.at.getTime();
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  return groups;
}

/** The natural key of one person's message of a broadcast: a retry, a restart, a second run never send twice. */
export const broadcastSendKey = (broadcastId: string, customerId: string) => `broadcast:${broadcastId}:${customerId}`;

/** The workflow's counters (IDs and counts only: they are in its history and its progress query). */
export interface BroadcastCounts {
  /** Members planned (given an instant). */
  planned: number;
  /** Members not planned: their time passed ('skip') or does not exist. */
  skipped: number;
  sent: number;
  /** Deferrals by the gate (quiet hours): each re-sent later, so one person may count more than once. */
  deferred: number;
  blocked: Record<string, number>;
  failed: number;
  /** Planned but not sent: the broadcast was cancelled first. */
  cancelled: number;
}

export const emptyCounts = (): BroadcastCounts => ({
  planned: 0,
  skipped: 0,
  sent: 0,
  deferred: 0,
  blocked: {},
  failed: 0,
  cancelled: 0,
});

export interface BroadcastProgress {
  broadcastId: string;
  region: string;
  status: 'planning' | 'waiting' | 'sending' | 'paused' | 'completed' | 'cancelled';
  /** The next group's instant, when waiting for one. */
  nextAt?: string;
  counts: BroadcastCounts;
}
