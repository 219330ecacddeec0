import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { consentBrandOf } from '../../db/brands-store';
import {
  consentGranted,
  finishJourneyRun,
  isSegmentMember,
  journeyEventFacts,
  journeyEventsSince,
  journeyRunState,
  journeyVersionGraph,
  personZone,
  queryableTrait,
  recordJourneyStep,
  type RunStatus,
  segmentMemberWithin,
  setJourneyRunVersion,
  setJourneyTrait,
  type WantedEvent,
} from '../../db/journeys-store';
import { assignTag, unassignTag } from '../../db/tags-store';
import { newestDataSchema } from '../../db/data-schema-store';
import { classify } from '../../domain/data-categories';
import {
  dateTraitInstant,
  type JourneyGraph,
  nextSendInstant,
  sealedTraitMessage,
  type SplitCondition,
} from '../../domain/journeys';

/** The source a journey's trait updates are stored under (profile_traits.source_id). */
export const JOURNEY_TRAIT_SOURCE = 'meridian-journeys';

/**
 * The region side of a journey run (workflows/journey.ts). Every input and answer is an ID, a name
 * from the journey's configuration, an instant, a boolean or a count (DESIGN.md rule 2): the person's
 * zone, traits and events are read here, by customer ID, and only the decision goes back.
 */

export interface JourneyActivityDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
}

export interface JourneyStepRef {
  runId: string;
  journeyId: string;
  customerId: string;
}

export function createJourneyActivities(deps: JourneyActivityDeps) {
  return {
    /** A published version's graph (configuration only: names, references, durations). */
    async journeyGraph(input: { journeyId: string; version: number }): Promise<JourneyGraph> {
      const graph = await journeyVersionGraph(deps.globalSql, input.journeyId, input.version);
      if (!graph)
        throw ApplicationFailure.nonRetryable(
          `journey ${input.journeyId} has no version ${input.version}`,
          'JourneyVersionMissing',
        );
      return graph;
    },

    /** Paused or not, and the version to move to when one was published with "runs move". */
    async journeyRunState(input: { journeyId: string; version: number; runId: string }) {
      const state = await journeyRunState(deps.globalSql, input.journeyId, input.version);
      if (state.moveTo !== null) await setJourneyRunVersion(deps.sql, input.runId, state.moveTo);
      return state;
    },

    /** The instant of the next allowed local time of day in the person's zone at that instant. */
    async localSendInstant(input: {
      customerId: string;
      after: string;
      localTime: string;
      weekdays?: number[];
    }): Promise<string> {
      const zone = await personZone(deps.sql, input.customerId);
      return nextSendInstant(new Date(input.after), input.localTime, zone, input.weekdays).toISOString();
    },

    /** A date trait ± days at a local time in the person's zone; null when the trait is not a date. */
    async dateTraitSendInstant(input: {
      customerId: string;
      trait: string;
      offsetDays: number;
      localTime: string;
    }): Promise<string | null> {
      const [zone, value] = await Promise.all([
        personZone(deps.sql, input.customerId),
        queryableTrait(deps.sql, input.customerId, input.trait),
      ]);
      return dateTraitInstant(value, input.offsetDays, input.localTime, zone)?.toISOString() ?? null;
    },

    /** The event a signal named: its name and the hash of the run's key property, nothing else. */
    async journeyEventFacts(input: { customerId: string; eventId: string; keyProperty: string | null }) {
      return (await journeyEventFacts(deps.sql, input.customerId, input.eventId, input.keyProperty)) ?? null;
    },

    /**
     * The IDs of the wanted events the region ingested for this run's person (its customer ID and
     * the profile it merged into) since the run entered and up to `until` (null: up to now), newest
     * first: the run feeds them through its signal path when the trigger has not signalled them yet.
     */
    async journeyEventsIngested(input: {
      runId: string;
      customerId: string;
      entryEventId: string | null;
      keyProperty: string | null;
      keyHash: string;
      wanted: WantedEvent[];
      until: string | null;
    }): Promise<string[]> {
      return journeyEventsSince(deps.sql, input);
    },

    /** Whether the person was in the segment at some instant from `from` to `until` (a missed "entered" signal). */
    async journeySegmentMemberWithin(input: {
      customerId: string;
      segmentId: string;
      from: string;
      until: string;
    }): Promise<boolean> {
      return segmentMemberWithin(deps.sql, input);
    },

    async evaluateJourneySplit(input: {
      customerId: string;
      brandId: string;
      condition: SplitCondition;
    }): Promise<boolean> {
      const c = input.condition;
      if ('inSegment' in c) return isSegmentMember(deps.sql, input.customerId, c.inSegment);
      if ('consent' in c)
        return consentGranted(
          deps.sql,
          input.customerId,
          c.consent,
          await consentBrandOf(deps.globalSql, input.brandId),
        );
      const value = await queryableTrait(deps.sql, input.customerId, c.trait);
      if ('exists' in c) return (value !== undefined && value !== null) === c.exists;
      return value === c.equals;
    },

    async updateJourneyTag(input: { customerId: string; tag: string; action: 'add' | 'remove' }): Promise<void> {
      if (input.action === 'add') await assignTag(deps.sql, input.tag, 'manual', [{ customerId: input.customerId }]);
      else await unassignTag(deps.sql, input.tag, [input.customerId]);
    },

    /**
     * Sets a non-identifying trait (journey configuration, never a personal value). The category is
     * checked again here, under the rules in force now: a key reclassified as identifying since the
     * journey was saved is refused for good (the run records it and goes on).
     */
    async updateJourneyTrait(input: {
      customerId: string;
      trait: string;
      value: string | number | boolean | null;
    }): Promise<void> {
      const rules = (await newestDataSchema(deps.globalSql)).compiled;
      const refused = sealedTraitMessage(input.trait, rules);
      if (refused) throw ApplicationFailure.nonRetryable(`trait: ${refused}`, 'SealedTrait');
      await setJourneyTrait(deps.sql, {
        ...input,
        category: classify(input.trait, rules, 'traits').category,
        sourceId: JOURNEY_TRAIT_SOURCE,
      });
    },

    async recordJourneyStep(input: JourneyStepRef & { step: string; outcome: string; reason?: string }) {
      await recordJourneyStep(deps.sql, input);
    },

    async finishJourneyRun(input: { runId: string; status: RunStatus; reason: string }): Promise<void> {
      await finishJourneyRun(deps.sql, input.runId, input.status, input.reason);
    },
  };
}

export type JourneyActivities = ReturnType<typeof createJourneyActivities>;
