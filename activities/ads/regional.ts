import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import {
  ClickConversion,
  ConversionOutcome,
  googleAdsClient,
  GoogleAdsCredentials,
  GoogleAdsSettings,
  MAX_CONVERSIONS_PER_UPLOAD,
} from '../../connectors/google-ads';
import { adsDateTime, googleConsent } from '../../connectors/google-ads/mapping';
import type { ConnectorContext } from '../../connectors/framework';
import {
  ConversionCandidate,
  conversionCandidates,
  countConversionAttempt,
  finishConversion,
  reserveConversions,
} from '../../db/ad-conversions-store';
import { getConnector, loadCredentials } from '../../db/connectors-store';
import { readConsent } from '../../db/consent-store';
import { minorUnits } from '../../domain/money';
import { describeIssues } from '../../domain/validation';

/**
 * Conversions sent back to ad platforms (Google Ads offline click conversions): the orders of people
 * who came by a click, each reserved in the region before its upload and uploaded once. A retried
 * upload (the worker died after Google took it, before the answer was stored) sends the reserved
 * orders again with the same order ID and time, which Google refuses as already there: that is the
 * confirmation, and the conversion stays one. Nothing personal leaves the region: click IDs (Google's
 * own), amounts, times, order IDs and consent states.
 */

export interface AdDeps {
  region: string;
  sql: Sql;
  regionKey: Buffer;
  globalSql: Sql;
  connectorContext?: Omit<ConnectorContext, 'sourceId' | 'heartbeat' | 'importDir'>;
}

/** Orders per upload call; Google takes up to 2000. */
const BATCH = 200;
/** Batches per activity call: the workflow calls again while there are more. */
const BATCHES_PER_CALL = 10;
const DEFAULT_WINDOW_DAYS = 90;
/** Google's answers that mean the conversion is there already (from an upload that died before its answer was kept). */
const ALREADY_THERE = new Set(['CLICK_CONVERSION_ALREADY_EXISTS', 'ORDER_ID_ALREADY_IN_USE']);

export interface ConversionUploadResult {
  uploaded: number;
  alreadyThere: number;
  refused: number;
  /** More orders wait: call again. */
  more: boolean;
}

export function createAdActivities(deps: AdDeps) {
  const { sql } = deps;

  async function open(connectorId: string, heartbeat: () => void) {
    const connector = await getConnector(deps.globalSql, connectorId);
    if (!connector || connector.system !== 'google_ads')
      throw ApplicationFailure.nonRetryable(`connector ${connectorId} is not a Google Ads connector`, 'InvalidInput');
    if (connector.region !== deps.region)
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} belongs to region ${connector.region}, not ${deps.region}: start the upload on its region's queue`,
        'WrongRegion',
      );
    const settings = GoogleAdsSettings.safeParse(connector.settings);
    if (!settings.success)
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} settings are no longer valid (${describeIssues(settings.error, 'settings')}): fix them with PUT /admin/connectors/${connectorId}`,
        'ConnectorConfig',
      );
    const credentials = GoogleAdsCredentials.safeParse(
      await loadCredentials({ sql, key: deps.regionKey }, connectorId),
    );
    if (!credentials.success)
      throw ApplicationFailure.nonRetryable(
        `connector ${connectorId} credentials are not valid for Google Ads: set them again with PUT /admin/connectors/${connectorId}`,
        'ConnectorConfig',
      );
    const client = googleAdsClient(settings.data, credentials.data, { ...deps.connectorContext, heartbeat });
    return { settings: settings.data, client };
  }

  async function conversionOf(settings: GoogleAdsSettings, candidate: ConversionCandidate): Promise<ClickConversion> {
    const consent = await readConsent(sql, candidate.customerId);
    const digits = minorUnits(candidate.currency);
    return {
      [candidate.click.kind]: candidate.click.clickId,
      conversionAction: `customers/${settings.customerId}/conversionActions/${settings.conversionActionId}`,
      conversionDateTime: adsDateTime(candidate.placedAt),
      conversionValue: Number(candidate.totalMinor) / 10 ** digits,
      currencyCode: candidate.currency,
      // The order's own key: Google keeps one conversion per order ID and action.
      orderId: `${candidate.orderSourceId}:${candidate.orderExternalId}`.slice(0, 64),
      consent: googleConsent(consent?.effective),
    } as ClickConversion;
  }

  return {
    /** Uploads the conversions of clicked buyers' orders not sent yet (and confirms reserved ones). */
    async uploadAdConversions(input: { connectorId: string }): Promise<ConversionUploadResult> {
      const ctx = Context.current();
      const heartbeat = () => ctx.heartbeat();
      const { settings, client } = await open(input.connectorId, heartbeat);
      const result: ConversionUploadResult = { uploaded: 0, alreadyThere: 0, refused: 0, more: false };
      for (let batchNo = 0; batchNo < BATCHES_PER_CALL; batchNo++) {
        const { pending, fresh } = await conversionCandidates(sql, {
          connectorId: input.connectorId,
          windowDays: settings.conversionWindowDays ?? DEFAULT_WINDOW_DAYS,
          limit: Math.min(BATCH, MAX_CONVERSIONS_PER_UPLOAD),
        });
        const batch = [...pending, ...fresh];
        if (batch.length === 0) return result;
        // Reserved before the call: from here on the order is never uploaded as a new conversion again.
        await reserveConversions(sql, input.connectorId, fresh);
        await countConversionAttempt(sql, input.connectorId, batch);
        const conversions = await Promise.all(batch.map((c) => conversionOf(settings, c)));
        const outcomes: ConversionOutcome[] = await client.uploadClickConversions(conversions);
        for (const [i, candidate] of batch.entries()) {
          const outcome = outcomes[i]!;
          if (outcome.ok) {
            result.uploaded++;
            await finishConversion(sql, input.connectorId, candidate, { status: 'uploaded' });
          } else if (outcome.codes.some((code) => ALREADY_THERE.has(code))) {
            result.alreadyThere++;
            await finishConversion(sql, input.connectorId, candidate, { status: 'uploaded' });
          } else {
            result.refused++;
            await finishConversion(sql, input.connectorId, candidate, {
              status: 'refused',
              error: `${outcome.codes.join(', ')}: ${outcome.message}`.slice(0, 500),
            });
          }
        }
        heartbeat();
      }
      result.more = true;
      return result;
    },
  };
}
