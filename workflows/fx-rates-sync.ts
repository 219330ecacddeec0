import { ActivityOptions, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { GlobalActivities } from '../activities';
import { ECB_FEEDS, EcbFeed, isEcbFeed } from '../domain/fx';

/**
 * fxRatesSync: fetches the ECB euro reference rates into the global database. Started by the
 * `fx-rates-ecb` Temporal Schedule each business day after the ECB publishes (16:00 CET), or by
 * hand from the Temporal UI with input {"feed":"90d"} (or "daily", "history") to backfill.
 */

const FETCH: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
};

export interface FxRatesSyncInput {
  feed?: EcbFeed;
}

const { syncEcbRates } = proxyActivities<GlobalActivities>(FETCH);

export async function fxRatesSync(
  input: FxRatesSyncInput = {},
): Promise<{ days: number; rows: number; newest: string | null }> {
  const feed = input.feed ?? 'daily';
  if (!isEcbFeed(feed)) {
    const names = Object.keys(ECB_FEEDS)
      .map((f) => `"${f}"`)
      .join(', ');
    throw ApplicationFailure.nonRetryable(
      `fxRatesSync input: feed must be one of ${names}, not ${JSON.stringify(feed)}`,
      'InvalidInput',
    );
  }
  return syncEcbRates({ feed });
}
