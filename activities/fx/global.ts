import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { upsertFxDays } from '../../db/fx-rates-store';
import { ECB_FEEDS, EcbFeed, parseEcbDailyXml } from '../../domain/fx';

export interface FxDeps {
  globalSql: Sql;
  ecbBaseUrl: string;
}

const FETCH_TIMEOUT_MS = 30_000;

export function createFxActivities({ globalSql, ecbBaseUrl }: FxDeps) {
  return {
    /**
     * Fetches an ECB reference-rate file and stores its days. Errors are classified here, once:
     * a 4xx is a configuration problem (non-retryable, says what to check); 5xx, 429, timeouts
     * and a body that is not the ECB's XML (a maintenance page) are retried by the workflow.
     */
    async syncEcbRates(input: { feed: EcbFeed }): Promise<{ days: number; rows: number; newest: string | null }> {
      const url = `${ecbBaseUrl}/${ECB_FEEDS[input.feed]}`;
      let response: Response;
      try {
        response = await fetch(url, {
          signal: AbortSignal.any([AbortSignal.timeout(FETCH_TIMEOUT_MS), Context.current().cancellationSignal]),
        });
      } catch (error) {
        throw new Error(`ECB feed ${url} did not answer: ${(error as Error).message}`);
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        throw ApplicationFailure.nonRetryable(
          `ECB feed ${url} answered ${response.status}: check MERIDIAN_ECB_BASE_URL`,
          'EcbFeedRefused',
        );
      }
      if (!response.ok) throw new Error(`ECB feed ${url} answered ${response.status}; will retry`);
      const text = await response.text();
      let days;
      try {
        days = parseEcbDailyXml(text);
      } catch (error) {
        throw new Error(
          `ECB feed ${url} sent something that is not its reference-rate XML (${(error as Error).message}); will retry`,
        );
      }
      const rows = await upsertFxDays(globalSql, days, 'ecb');
      const newest =
        days
          .map((d) => d.date)
          .sort()
          .at(-1) ?? null;
      return { days: days.length, rows, newest };
    },
  };
}
