import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { consentBrandOf } from '../../db/brands-store';
import { segmentRegionActivity } from '../../db/segment-suggestions-store';
import { CHURN_RISK_THRESHOLD, suggestMarketing } from '../../domain/predictions';
import { adminRoute, json } from '../openapi';
import { AdminDeps, AdminKit } from './kit';
import { getSegment } from '../../db/segments-store';

/**
 * Marketing suggestions per segment (issue 11 §6, 智能营销建议): the best local hour to send, the
 * channel with the most consented reach and the share of members at churn risk. Each region computes
 * its aggregates from its own members; only counts cross regions. A region's segment answers to a
 * token for that region; a group segment adds up the regions the token covers (and says which).
 */

const suggestionAnswer = z.object({
  segmentId: z.string(),
  regions: z.array(z.string()).describe('the regions whose members are counted'),
  members: z.number().int(),
  suggestion: z.object({
    bestLocalSendHour: z.number().int().nullable().describe("0–23, in each member's own time zone"),
    activityShareAroundBestHour: z.number().nullable(),
    bestChannel: z.string().nullable(),
    bestChannelReach: z.number().int(),
    consentedReach: z.record(z.string(), z.number().int()),
    shareAtChurnRisk: z.number().nullable(),
    membersScored: z.number().int(),
    churnRiskThreshold: z.number(),
  }),
});

export function registerSegmentSuggestionRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  scope.get<{ Params: { id: string } }>(
    '/admin/segments/:id/suggestions',
    {
      schema: adminRoute({
        summary:
          "Marketing suggestions for a segment's current members: send hour, channel, churn risk (aggregates only)",
        response: { 200: json('what to do with the segment, from counts over its members', suggestionAnswer) },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const segment = await getSegment(deps.globalSql, request.params.id);
      if (!segment) throw kit.fail(404, `no segment ${request.params.id}`);
      let regions: string[];
      if (segment.owner === 'group') {
        regions = [...deps.regional.keys()].filter((region) => kit.mayRead(token, region));
      } else {
        kit.requireRegion(token, segment.owner, 'read segments');
        regions = [segment.owner];
      }
      const consentBrand = await consentBrandOf(deps.globalSql, segment.brandId);
      const hours = new Array<number>(24).fill(0);
      const reach: Record<string, number> = {};
      let members = 0;
      let scored = 0;
      let atRisk = 0;
      for (const region of regions) {
        const activity = await segmentRegionActivity(deps.regional.get(region)!.sql, segment.id, consentBrand);
        members += activity.members;
        activity.activityByLocalHour.forEach((n, hour) => (hours[hour]! += n));
        for (const [channel, n] of Object.entries(activity.consentedReach)) reach[channel] = (reach[channel] ?? 0) + n;
        scored += activity.churn.scored;
        atRisk += activity.churn.atRisk;
      }
      // Churn scores stay in their regions: the share is taken from the regions' counts at the same threshold.
      const suggestion = suggestMarketing({ activityByLocalHour: hours, consentedReach: reach, churnScores: [] });
      return {
        segmentId: segment.id,
        regions,
        members,
        suggestion: {
          ...suggestion,
          consentedReach: reach,
          shareAtChurnRisk: scored === 0 ? null : atRisk / scored,
          membersScored: scored,
          churnRiskThreshold: CHURN_RISK_THRESHOLD,
        },
      };
    },
  );
}
