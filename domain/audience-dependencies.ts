import type { TraitDefinition } from './computed-traits';
import { HOME_MARKET_TRAIT_ID, type SegmentNode } from './segments';

/**
 * What changed for a person (an `audience_changes` cause), and which computed traits and segments
 * depend on it: the audience processor evaluates only those, so a page view does not recompute
 * order totals or every segment (issue 11 §5, "incremental evaluation of the segments that depend
 * on what changed").
 *
 * Causes the writers note:
 * - `event:<name>` a track call named <name>; `page`, `screen`, `identify`, `group`, `alias` the others;
 * - `trait` a trait changed (identify, group); `order` an order row; `consent` a consent choice;
 * - `tag` a tag assignment; `computed:<trait ID>` that computed trait's value (the processor's own
 *   reactor, so a page view that moves `last_seen` re-evaluates only what reads `last_seen`);
 *   `computed` any computed value (the sliding pass); `segment` a full recompute's moves;
 *   `prediction` the predictions workflow's output.
 * Any other cause (a merge, a reclassification, a full recompute's moves …) means "anything may
 * have changed": everything is evaluated.
 */

const CALL_TYPES = new Set(['page', 'screen', 'identify', 'group', 'alias']);
/**
 * Causes written by Meridian's own passes, as the specific causes they stand for: a full segment
 * recompute's moves (`segment`) matter only to rule tags, which the processor syncs for everyone it
 * is given; the sliding pass changes computed values; the predictions workflow changes computed
 * values and model tags.
 */
const STANDS_FOR: Record<string, readonly string[]> = {
  segment: [],
  computed: ['computed'],
  prediction: ['computed', 'tag'],
};
const SPECIFIC = new Set(['trait', 'order', 'consent', 'tag', 'computed', ...CALL_TYPES]);

/**
 * Whether a cause names something specific; a cause that does not could have changed anything.
 * Meridian's own passes are specific (they stand for the causes above): reactors that act on
 * "anything" (loyalty, ad conversions) otherwise redid their work for every person a full segment
 * recompute moved, which kept the processor minutes behind ingest after one.
 */
export function isSpecificCause(cause: string): boolean {
  return (
    cause.startsWith('event:') ||
    cause.startsWith('computed:') ||
    SPECIFIC.has(cause) ||
    Object.hasOwn(STANDS_FOR, cause)
  );
}

/** The cause the processor notes when a person's value of computed trait `traitId` changed. */
export const computedCause = (traitId: string) => `computed:${traitId}`;
/** Reads computed trait `traitId`: any computed value changed, or that one. */
const readsComputed =
  (traitId: string): CauseTest =>
  (cause) =>
    cause === 'computed' || cause === computedCause(traitId);

const isEventCause = (cause: string) => cause.startsWith('event:') || CALL_TYPES.has(cause);

/** The causes of one stored call: what the processor is told about it. */
export function causesOfCall(call: { type: string; event?: string; traits?: Record<string, unknown> }): string[] {
  const causes = [call.type === 'track' ? `event:${call.event ?? ''}` : call.type];
  if (call.traits && Object.keys(call.traits).length > 0) causes.push('trait');
  return causes;
}

/** A test of one specific cause (unspecific causes never reach it: they match everything). */
export type CauseTest = (cause: string) => boolean;

const never: CauseTest = () => false;
const anyOf =
  (...tests: CauseTest[]): CauseTest =>
  (cause) =>
    tests.some((test) => test(cause));
const exactly =
  (...causes: string[]): CauseTest =>
  (cause) =>
    causes.includes(cause);
const PURCHASE = exactly('order', 'event:Order Completed');

/** What a segment definition reads. */
export function segmentDependencies(node: SegmentNode): CauseTest {
  if ('all' in node) return anyOf(...node.all.map(segmentDependencies));
  if ('any' in node) return anyOf(...node.any.map(segmentDependencies));
  if ('not' in node) return segmentDependencies(node.not);
  switch (node.type) {
    case 'trait':
      return exactly('trait');
    case 'computedTrait':
      return readsComputed(node.id);
    case 'tag':
      return exactly('tag');
    case 'consent':
      return exactly('consent');
    case 'market':
      // The consent subject's country, else the home-market computed trait.
      return anyOf(exactly('consent'), readsComputed(HOME_MARKET_TRAIT_ID));
    case 'event':
      return exactly(`event:${node.name}`);
    case 'didNot':
      return anyOf(
        exactly(`event:${node.did.name}`),
        'purchase' in node.didNot ? PURCHASE : exactly(`event:${node.didNot.name}`),
      );
    case 'order':
      return PURCHASE;
    case 'localTime':
      // The person's zone comes from their events.
      return isEventCause;
    default:
      return () => true;
  }
}

/** What a computed trait's definition reads. */
export function traitDependencies(definition: TraitDefinition): CauseTest {
  switch (definition.kind) {
    case 'order_count':
    case 'order_sum':
    case 'order_avg':
    case 'first_order_date':
    case 'last_order_date':
      return exactly('order');
    case 'home_market':
      return exactly('order', 'consent');
    case 'channels_used':
      return anyOf(isEventCause, exactly('order'));
    case 'prediction':
    case 'loyalty':
      return never;
    default: {
      const { event, type } = definition.where;
      if (event !== undefined) return exactly(`event:${event}`);
      if (type === 'track') return (cause) => cause.startsWith('event:');
      if (type !== undefined) return exactly(type);
      return isEventCause;
    }
  }
}

/**
 * The people of `causes` (customer ID → what changed) that `test` says are affected: those with an
 * unspecific cause, or a specific one the test accepts.
 */
export function affectedCustomers(causes: ReadonlyMap<string, ReadonlySet<string>>, test: CauseTest): string[] {
  const affected: string[] = [];
  for (const [customerId, set] of causes) {
    for (const cause of set) {
      const standsFor = STANDS_FOR[cause];
      if (standsFor ? standsFor.some(test) : !isSpecificCause(cause) || test(cause)) {
        affected.push(customerId);
        break;
      }
    }
  }
  return affected;
}
