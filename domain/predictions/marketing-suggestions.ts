/**
 * Marketing suggestions for a segment (智能营销建议), from aggregates only — no person is named:
 * the best local hour to send (from when the members are active, in their own time zones), the
 * channel with the most consented reach, and the share of members at churn risk.
 * Pure and deterministic, so workflows can import it.
 */

/**
 * Churn probability from which a member counts as at risk: above one half the model expects them to
 * lapse more likely than not within its horizon.
 */
export const CHURN_RISK_THRESHOLD = 0.5;

export interface SegmentActivity {
  /** 24 counts: how often members were active at each local hour 0–23 (each in their own zone). */
  activityByLocalHour: readonly number[];
  /** Members reachable per channel with consent for marketing on it now (e.g. { email: 812, sms: 240 }). */
  consentedReach: Readonly<Record<string, number>>;
  /** The members' churn probabilities (0–1); members without a score are left out. */
  churnScores: readonly number[];
}

export interface MarketingSuggestion {
  /** Local hour 0–23, or null when the segment shows no activity. */
  bestLocalSendHour: number | null;
  /** Share of all activity that falls in the three hours around the suggested hour. */
  activityShareAroundBestHour: number | null;
  /** Null when no channel has consented reach. */
  bestChannel: string | null;
  bestChannelReach: number;
  /** Null when no member has a churn score. */
  shareAtChurnRisk: number | null;
  membersScored: number;
  churnRiskThreshold: number;
}

export function suggestMarketing(
  activity: SegmentActivity,
  options: { churnRiskThreshold?: number } = {},
): MarketingSuggestion {
  const threshold = options.churnRiskThreshold ?? CHURN_RISK_THRESHOLD;
  if (!(threshold >= 0 && threshold <= 1))
    throw new RangeError(`churnRiskThreshold must be between 0 and 1, got ${threshold}`);
  const { hour, share } = busiestHour(activity.activityByLocalHour);
  const { channel, reach } = widestChannel(activity.consentedReach);
  const scores = activity.churnScores;
  scores.forEach((s, i) => {
    if (!(s >= 0 && s <= 1)) throw new RangeError(`churn score ${i} is ${s}: scores are probabilities between 0 and 1`);
  });
  return {
    bestLocalSendHour: hour,
    activityShareAroundBestHour: share,
    bestChannel: channel,
    bestChannelReach: reach,
    shareAtChurnRisk: scores.length === 0 ? null : scores.filter((s) => s >= threshold).length / scores.length,
    membersScored: scores.length,
    churnRiskThreshold: threshold,
  };
}

/**
 * The centre of the busiest three-hour window (hours wrap around midnight). A single hour's peak in a
 * small segment is often noise; a window rewards sustained activity. Ties go to the busier centre
 * hour, then to the earliest.
 */
function busiestHour(counts: readonly number[]): { hour: number | null; share: number | null } {
  if (counts.length !== 24)
    throw new RangeError(`activityByLocalHour needs 24 counts (hours 0–23), got ${counts.length}`);
  counts.forEach((c, h) => {
    if (!(c >= 0) || !Number.isFinite(c))
      throw new RangeError(`activity at hour ${h} is ${c}: counts must be finite and not negative`);
  });
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) return { hour: null, share: null };
  let best = 0;
  let bestWindow = -1;
  for (let h = 0; h < 24; h++) {
    const window = counts[(h + 23) % 24]! + counts[h]! + counts[(h + 1) % 24]!;
    if (window > bestWindow || (window === bestWindow && counts[h]! > counts[best]!)) {
      best = h;
      bestWindow = window;
    }
  }
  return { hour: best, share: bestWindow / total };
}

/** The channel with the most consented reach; ties go to the channel named first alphabetically. */
function widestChannel(reach: Readonly<Record<string, number>>): { channel: string | null; reach: number } {
  let channel: string | null = null;
  let most = 0;
  for (const name of Object.keys(reach).sort()) {
    const count = reach[name]!;
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`consented reach of ${name} is ${count}: it must be a whole number of members`);
    if (count > most) {
      channel = name;
      most = count;
    }
  }
  return { channel, reach: most };
}
