import { asOfDayNumber, meanPurchaseGapDays, median, purchaseDays, type PurchaseHistory } from './purchase-history';

/**
 * Lifecycle stage (new, active, at risk, lapsed, churned) from how long a customer has been silent,
 * measured against their own purchase rhythm: the mean days between their purchase days when they
 * have bought on two days or more, otherwise their market's typical rhythm (the median of the repeat
 * buyers' own rhythms in that market). Pure and deterministic, so workflows can import it.
 */

export const LIFECYCLE_STAGES = ['new', 'active', 'at_risk', 'lapsed', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/**
 * Silence, in multiples of the rhythm, up to which each stage holds. If someone kept buying at their
 * rhythm (a Poisson process with that mean gap), a silence of k gaps would happen by chance with
 * probability e^−k: 22 % at 1.5 gaps (nothing unusual: active, or new for a first-time buyer),
 * 8 % at 2.5 (unusual: at risk), 1.8 % at 4 (very unusual: lapsed); longer silences are churned.
 */
export const LIFECYCLE_SILENCE_LIMITS = { active: 1.5, atRisk: 2.5, lapsed: 4 } as const;

/**
 * The shortest rhythm used: two purchases a day apart say little about a rhythm, and without a floor
 * such a buyer would count as churned after a week of silence.
 */
export const MIN_PURCHASE_RHYTHM_DAYS = 7;

/** The rhythm for a market with no repeat buyers yet: a quarter, the usual planning cycle of retail. */
export const DEFAULT_PURCHASE_RHYTHM_DAYS = 90;

export interface LifecycleAssessment {
  customerId: string;
  market: string;
  asOf: string;
  stage: LifecycleStage;
  daysSinceLastPurchase: number;
  purchaseDays: number;
  /** The rhythm the stage was measured against, in days (after the floor). */
  rhythmDays: number;
  rhythmSource: 'own' | 'market' | 'default';
}

/**
 * Each market's typical days between purchases: the median, across the market's customers with at
 * least two purchase days by `asOf`, of their mean gap. Markets without such customers are absent.
 */
export function marketPurchaseRhythms(histories: readonly PurchaseHistory[], asOf: string): Map<string, number> {
  const asOfDay = asOfDayNumber(asOf);
  const gaps = new Map<string, number[]>();
  for (const history of histories) {
    const gap = meanPurchaseGapDays(purchaseDays(history, asOfDay));
    if (gap === undefined) continue;
    const list = gaps.get(history.market);
    if (list) list.push(gap);
    else gaps.set(history.market, [gap]);
  }
  return new Map([...gaps].map(([market, list]) => [market, median(list)]));
}

/** The lifecycle stage of every customer with a purchase on or before `asOf`, in input order. */
export function lifecycleStages(histories: readonly PurchaseHistory[], asOf: string): LifecycleAssessment[] {
  const asOfDay = asOfDayNumber(asOf);
  const marketRhythms = marketPurchaseRhythms(histories, asOf);
  const assessments: LifecycleAssessment[] = [];
  for (const history of histories) {
    const days = purchaseDays(history, asOfDay);
    if (days.length === 0) continue;
    const own = meanPurchaseGapDays(days);
    const market = marketRhythms.get(history.market);
    const rhythmSource = own !== undefined ? 'own' : market !== undefined ? 'market' : 'default';
    const rhythm = Math.max(MIN_PURCHASE_RHYTHM_DAYS, own ?? market ?? DEFAULT_PURCHASE_RHYTHM_DAYS);
    const silence = asOfDay - days[days.length - 1]!.day;
    assessments.push({
      customerId: history.customerId,
      market: history.market,
      asOf,
      stage: stageFor(silence / rhythm, days.length),
      daysSinceLastPurchase: silence,
      purchaseDays: days.length,
      rhythmDays: rhythm,
      rhythmSource,
    });
  }
  return assessments;
}

function stageFor(silenceInRhythms: number, purchaseDayCount: number): LifecycleStage {
  if (silenceInRhythms <= LIFECYCLE_SILENCE_LIMITS.active) return purchaseDayCount === 1 ? 'new' : 'active';
  if (silenceInRhythms <= LIFECYCLE_SILENCE_LIMITS.atRisk) return 'at_risk';
  if (silenceInRhythms <= LIFECYCLE_SILENCE_LIMITS.lapsed) return 'lapsed';
  return 'churned';
}
