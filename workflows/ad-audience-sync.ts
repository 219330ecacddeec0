import {
  type ActivityOptions,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AdAudienceActivities } from '../activities/ad-audiences/regional';
import { type AdAudienceSyncInput, adAudienceResync } from './definitions';

/**
 * An ad audience kept in step with its segment (DESIGN.md's catalogue: "audience sync"), on the
 * region queue of the audience's connector. Each pass (one activity) notes the segment's moves
 * from the membership outbox and the consent changes, then adds and removes people on the
 * platform; when nothing is left it waits `pollSeconds` or a `resync` signal (a full re-sync). It
 * runs until the audience is archived; a refusal a person must fix (a revoked token: "reconnect …")
 * fails it, and the admin API starts it again once fixed.
 *
 * The history holds the audience ID and counts only: identifiers are opened, hashed and sent inside
 * the activity (DESIGN.md, rule 2).
 */

const PASS: ActivityOptions = {
  // A pass sends at most pagesPerPass pages; a throttle is retried after the platform's wait
  // (nextRetryDelay from activities/vendor-failures.ts), so no maximum attempts.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};
const DEFAULT_POLL_SECONDS = 15;
/** Passes per run before continuing as new (each idle pass is a handful of history events). */
const PASSES_PER_RUN = 300;

const { adAudienceSyncPass } = proxyActivities<AdAudienceActivities>(PASS);

export async function adAudienceSync(
  input: AdAudienceSyncInput,
): Promise<{ stopped: 'gone'; added: number; removed: number }> {
  let full = input.full ?? false;
  let resyncRequested = false;
  setHandler(adAudienceResync, () => {
    resyncRequested = true;
  });
  let added = 0;
  let removed = 0;
  for (let passes = 0; ; passes++) {
    if (passes >= PASSES_PER_RUN || workflowInfo().continueAsNewSuggested)
      return continueAsNew<typeof adAudienceSync>({ ...input, full: full || resyncRequested });
    if (resyncRequested) {
      full = true;
      resyncRequested = false;
    }
    const pass = await adAudienceSyncPass({ audienceId: input.audienceId, full });
    full = false;
    added += pass.added;
    removed += pass.removed;
    if (pass.status === 'gone') return { stopped: 'gone', added, removed };
    if (!pass.more) await condition(() => resyncRequested, `${input.pollSeconds ?? DEFAULT_POLL_SECONDS} seconds`);
  }
}
