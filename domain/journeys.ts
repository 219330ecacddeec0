import { type CompiledRules, classify } from './data-categories';
import { z } from 'zod';
import { PURPOSES } from './consent';
import { addLocalDays, instantAt, type IsoWeekday, localParts, nextLocalTime } from './local-time';
import { CHANNELS } from './send-gate';
import { describeIssues } from './validation';

/**
 * Journeys (issue 12): a versioned graph of typed nodes that one person walks, one run per person ×
 * journey (× key, e.g. a cart ID). The graph is configuration, never personal data: event and trait
 * names, template references, segment IDs, durations. Everything here is pure, so the journey
 * workflow imports it to walk the graph and to compute its timers (docs/design/activation.md).
 */

const nodeId = z
  .string({ error: 'must be a node ID' })
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, { error: 'must be a node ID: a letter, then letters, digits, - or _' });
const name = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, { error: `must be ${what}` })
    .max(200, { error: `must be ${what} of at most 200 characters` });
const refId = z
  .string({ error: 'must be an ID' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, { error: 'must be an ID: letters, digits, dots, colons, - or _' });
const seconds = z
  .number({ error: 'must be a number of seconds' })
  .int({ error: 'must be whole seconds' })
  .positive({ error: 'must be more than 0 seconds' })
  .max(400 * 86_400, { error: 'must be at most 400 days' });
const localTimeOfDay = z
  .string({ error: 'must be a local time of day' })
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, { error: 'must be HH:MM or HH:MM:SS on a 24-hour clock, e.g. 10:00' });
const weekdays = z
  .array(z.number().int().min(1).max(7), { error: 'must be ISO weekdays: 1 (Monday) … 7 (Sunday)' })
  .min(1, { error: 'must allow at least one weekday' })
  .max(7);

export const journeyEntrySchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('segmentEntered'), segmentId: refId }),
    z.strictObject({
      type: z.literal('event'),
      event: name('an event name'),
      /** A property of the event that keys the run: one run per value (e.g. cart_id → one run per cart). */
      key: name('a property name').optional(),
    }),
  ],
  { error: 'must be {"type":"segmentEntered","segmentId"} or {"type":"event","event","key"?}' },
);

export const reEntrySchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('never') }),
    z.strictObject({ mode: z.literal('afterExit') }),
    z.strictObject({ mode: z.literal('afterDays'), days: z.number().int().min(1).max(3650) }),
  ],
  { error: 'must be {"mode":"never"}, {"mode":"afterExit"} or {"mode":"afterDays","days"}' },
);

const splitCondition = z.union(
  [
    z.strictObject({ trait: name('a trait name'), equals: z.union([z.string(), z.number(), z.boolean()]) }),
    z.strictObject({ trait: name('a trait name'), exists: z.boolean() }),
    z.strictObject({ inSegment: refId }),
    z.strictObject({ consent: z.enum(PURPOSES, { error: `must be one of ${PURPOSES.join(', ')}` }) }),
  ],
  { error: 'must be {"trait","equals"}, {"trait","exists"}, {"inSegment"} or {"consent"}' },
);
export type SplitCondition = z.infer<typeof splitCondition>;

export const journeyNodeSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('delay'), seconds, next: nodeId }),
    z.strictObject({
      type: z.literal('delayUntilLocalTime'),
      /** The person's local time of day at the send instant; DST-exact. */
      localTime: localTimeOfDay,
      /** Local weekdays allowed (ISO, 1 = Monday); all by default. */
      weekdays: weekdays.optional(),
      next: nodeId,
    }),
    z.strictObject({
      type: z.literal('delayUntilDateTrait'),
      /** A date trait (YYYY-MM-DD or an ISO instant), e.g. a renewal date. */
      trait: name('a trait name'),
      offsetDays: z.number().int().min(-3650).max(3650),
      localTime: localTimeOfDay.default('09:00'),
      next: nodeId,
      /** Where to go when the trait is missing or its date has passed. */
      missing: nodeId,
    }),
    z.strictObject({
      type: z.literal('waitForEvent'),
      event: name('an event name'),
      /** Only an event carrying the run's key (the entry's key property with the same value) counts. */
      sameKey: z.boolean().default(true),
      timeoutSeconds: seconds,
      next: nodeId,
      timeout: nodeId,
    }),
    z.strictObject({
      type: z.literal('waitForSegment'),
      segmentId: refId,
      timeoutSeconds: seconds,
      next: nodeId,
      timeout: nodeId,
    }),
    z.strictObject({ type: z.literal('split'), condition: splitCondition, yes: nodeId, no: nodeId }),
    z.strictObject({
      type: z.literal('randomSplit'),
      branches: z
        .array(z.strictObject({ percent: z.number().int().min(0).max(100), next: nodeId }))
        .min(1, { error: 'must have at least one branch' }),
      /** The held-out share exits without messages and is counted, to measure the journey against. */
      holdoutPercent: z.number().int().min(0).max(100).default(0),
    }),
    z.strictObject({
      type: z.literal('message'),
      channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }),
      templateRef: refId,
      /** A blocked send (no consent, cap, suppression): carry on to `next`, or end the run. */
      onBlocked: z.enum(['continue', 'exit']).default('continue'),
      next: nodeId,
    }),
    z.strictObject({ type: z.literal('updateTag'), tag: refId, action: z.enum(['add', 'remove']), next: nodeId }),
    /**
     * Sets a trait on the profile to a value from the configuration (never a personal value), e.g.
     * `cart_reminded: true`. Only a key of a non-identifying category (the data classification,
     * domain/data-categories.ts): checked when the journey is saved and again when the node runs.
     */
    z.strictObject({
      type: z.literal('updateTrait'),
      trait: name('a trait name'),
      value: z.union([z.string().max(200), z.number(), z.boolean(), z.null()]),
      next: nodeId,
    }),
    z.strictObject({ type: z.literal('exit') }),
  ],
  {
    error:
      'must be a node of type delay, delayUntilLocalTime, delayUntilDateTrait, waitForEvent, waitForSegment, split, randomSplit, message, updateTag, updateTrait or exit',
  },
);
export type JourneyNode = z.infer<typeof journeyNodeSchema>;

export const journeyGraphSchema = z.strictObject({
  entry: journeyEntrySchema,
  reEntry: reEntrySchema.default({ mode: 'never' }),
  /** A conversion: this event (with the run's key, when the entry is keyed) ends the run and is counted. */
  goal: z.strictObject({ event: name('an event name') }).optional(),
  start: nodeId,
  nodes: z.record(nodeId, journeyNodeSchema, { error: 'must be an object of nodes by ID' }),
});
export type JourneyGraph = z.infer<typeof journeyGraphSchema>;
export type JourneyGraphInput = z.input<typeof journeyGraphSchema>;

/** Nodes a person can stay at for a while: a cycle must pass one, or a run would spin without end. */
const WAITING: ReadonlySet<JourneyNode['type']> = new Set([
  'delay',
  'delayUntilLocalTime',
  'delayUntilDateTrait',
  'waitForEvent',
  'waitForSegment',
]);

/** The nodes a node leads to, with the field naming each. */
export function successors(node: JourneyNode): { field: string; to: string }[] {
  switch (node.type) {
    case 'exit':
      return [];
    case 'split':
      return [
        { field: 'yes', to: node.yes },
        { field: 'no', to: node.no },
      ];
    case 'randomSplit':
      return node.branches.map((b, i) => ({ field: `branches.${i}.next`, to: b.next }));
    case 'waitForEvent':
    case 'waitForSegment':
      return [
        { field: 'next', to: node.next },
        { field: 'timeout', to: node.timeout },
      ];
    case 'delayUntilDateTrait':
      return [
        { field: 'next', to: node.next },
        { field: 'missing', to: node.missing },
      ];
    default:
      return [{ field: 'next', to: node.next }];
  }
}

export type ParsedJourney = { ok: true; graph: JourneyGraph } | { ok: false; error: string };

/**
 * Validates a journey graph: the shape (zod), then the rules a shape cannot say — every reference
 * names a node, the start exists, at least one exit, every node reaches an exit, every cycle passes
 * a delay or a wait, a random split's shares add up to 100 with the holdout. Errors name the field
 * and the rule ("nodes.remind.next: names no node; …").
 */
export function parseJourneyGraph(input: unknown): ParsedJourney {
  const parsed = journeyGraphSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error, 'graph') };
  const graph = parsed.data;
  const problems: string[] = [];
  const ids = Object.keys(graph.nodes);
  if (!graph.nodes[graph.start]) problems.push(`start: names no node (nodes are ${ids.join(', ') || 'none'})`);
  for (const [id, node] of Object.entries(graph.nodes)) {
    for (const { field, to } of successors(node))
      if (!graph.nodes[to]) problems.push(`nodes.${id}.${field}: names no node ("${to}")`);
    if (node.type === 'randomSplit') {
      const total = node.branches.reduce((sum, b) => sum + b.percent, 0) + node.holdoutPercent;
      if (total !== 100)
        problems.push(
          `nodes.${id}.branches: the percents and holdoutPercent must add up to 100 (they add up to ${total})`,
        );
    }
  }
  if (!ids.some((id) => graph.nodes[id]!.type === 'exit')) problems.push('nodes: must have at least one exit node');
  if (problems.length > 0) return { ok: false, error: problems.join('; ') };

  // Every node must be able to reach an exit.
  const reachesExit = new Set(ids.filter((id) => graph.nodes[id]!.type === 'exit'));
  for (let grew = true; grew; ) {
    grew = false;
    for (const id of ids) {
      if (reachesExit.has(id)) continue;
      if (successors(graph.nodes[id]!).some((s) => reachesExit.has(s.to))) {
        reachesExit.add(id);
        grew = true;
      }
    }
  }
  for (const id of ids) if (!reachesExit.has(id)) problems.push(`nodes.${id}: cannot reach an exit node`);

  // A cycle through non-waiting nodes only: depth-first search over the graph without waiting nodes.
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'open') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      problems.push(`nodes.${id}: the cycle ${cycle.join(' → ')} has no delay or wait (a run would loop at once)`);
      return;
    }
    state.set(id, 'open');
    const node = graph.nodes[id]!;
    if (!WAITING.has(node.type)) for (const s of successors(node)) visit(s.to, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of ids) visit(id, []);
  if (problems.length > 0) return { ok: false, error: [...new Set(problems)].join('; ') };
  return { ok: true, graph };
}

/** Message and node-visit identifiers are built from these: IDs only, no personal values. */
export function runIdOf(journeyId: string, customerId: string, keyHash: string | null, entry: number): string {
  return `journey-${journeyId}-${customerId}${keyHash ? `-${keyHash}` : ''}-${entry}`;
}

/**
 * The next instant at or after `after` at which the person's wall clock reads `localTime` on an
 * allowed local weekday: computed in the person's zone at that instant (its own offset, DST-exact),
 * the weekday the local one. A time that has not yet come today counts today.
 */
export function nextSendInstant(
  after: Date,
  localTime: string,
  timeZone: string,
  allowedWeekdays?: readonly number[],
): Date {
  const allowed = new Set(allowedWeekdays && allowedWeekdays.length > 0 ? allowedWeekdays : [1, 2, 3, 4, 5, 6, 7]);
  // "at or after": start a millisecond before, so a run arriving exactly at 10:00 sends at once.
  let candidate = nextLocalTime(new Date(after.getTime() - 1), localTime, timeZone);
  for (let i = 0; i < 8; i++) {
    if (allowed.has(localParts(candidate, timeZone).weekday as IsoWeekday)) return candidate;
    candidate = nextLocalTime(candidate, localTime, timeZone);
  }
  throw new RangeError(`no allowed weekday found for ${localTime} in ${timeZone}`);
}

/**
 * The instant of a date trait ± days at `localTime` in the person's zone, or undefined when the trait
 * is not a date. A trait written as an instant counts by its local date in the zone.
 */
export function dateTraitInstant(
  traitValue: unknown,
  offsetDays: number,
  localTime: string,
  timeZone: string,
): Date | undefined {
  if (typeof traitValue !== 'string') return undefined;
  let date: string | undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(traitValue)) date = traitValue;
  else {
    const at = new Date(traitValue);
    if (!Number.isNaN(at.getTime())) date = localParts(at, timeZone).date;
  }
  if (!date) return undefined;
  let shifted: string;
  try {
    shifted = addLocalDays(date, offsetDays);
  } catch {
    return undefined;
  }
  const result = instantAt(shifted, localTime, timeZone);
  return result.ok ? result.instant : undefined;
}

/** Whether a new run may start, given the person's last run of this journey and key (re-entry rules). */
export function mayEnter(
  reEntry: JourneyGraph['reEntry'],
  last: { exitedAt: Date | null; enteredAt: Date } | undefined,
  now: Date,
): boolean {
  if (!last) return true;
  switch (reEntry.mode) {
    case 'never':
      return false;
    case 'afterExit':
      return last.exitedAt !== null;
    case 'afterDays':
      return last.exitedAt !== null && now.getTime() - last.exitedAt.getTime() >= reEntry.days * 86_400_000;
  }
}

/** The event names a journey listens to after entry (waits and its goal), for the ingest trigger. */
export function listenedEvents(graph: JourneyGraph): Set<string> {
  const names = new Set<string>();
  for (const node of Object.values(graph.nodes)) if (node.type === 'waitForEvent') names.add(node.event);
  if (graph.goal) names.add(graph.goal.event);
  return names;
}

/** The segments a journey waits for after entry. */
export function listenedSegments(graph: JourneyGraph): Set<string> {
  const ids = new Set<string>();
  for (const node of Object.values(graph.nodes)) if (node.type === 'waitForSegment') ids.add(node.segmentId);
  return ids;
}

/**
 * The `updateTrait` nodes naming a key of an identifying ("sealed") category under the workspace's
 * data classification: `[field, message]` for each, e.g. `nodes.mark.trait`. A journey may set only
 * traits that are stored queryable (non-identifying); a personal value is never journey configuration.
 */
export function sealedTraitUpdates(graph: JourneyGraph, rules: CompiledRules): [field: string, message: string][] {
  const refused: [string, string][] = [];
  for (const [id, node] of Object.entries(graph.nodes)) {
    if (node.type !== 'updateTrait') continue;
    const message = sealedTraitMessage(node.trait, rules);
    if (message) refused.push([`nodes.${id}.trait`, message]);
  }
  return refused;
}

/** Why a journey may not set this trait (an identifying or unclassified category), or undefined. */
export function sealedTraitMessage(trait: string, rules: CompiledRules): string | undefined {
  const c = classify(trait, rules, 'traits');
  if (!c.identifying) return undefined;
  return `"${trait.slice(0, 60)}" is classified ${c.category}, a sealed (identifying) category: a journey sets only non-identifying traits; classify the key with PUT /admin/data-schema if it is not personal`;
}
