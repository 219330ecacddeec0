import { Context } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { connectedSystem } from '../../connectors';
import { ConnectorError } from '../../connectors/errors';
import {
  googleCustomerMatchClient,
  type GoogleCustomerMatchCredentials,
  type GoogleCustomerMatchSettings,
} from '../../connectors/google-customer-match';
import {
  MetaAudiencesClient,
  type MetaAudiencesCredentials,
  type MetaAudiencesSettings,
  payloadOfRows,
} from '../../connectors/meta-audiences';
import {
  tiktokAudiencesClient,
  type TikTokAudiencesCredentials,
  type TikTokAudiencesSettings,
} from '../../connectors/tiktok-audiences';
import {
  type AdAudience,
  candidatePage,
  candidateStates,
  getAdAudience,
  noteAdAudienceOutcome,
  noteEveryoneForResync,
  noteMembershipMoves,
  settleCandidates,
} from '../../db/ad-audiences-store';
import { consentBrandOf } from '../../db/brands-store';
import { getConnector, loadCredentials } from '../../db/connectors-store';
import type { RegionKey } from '../../db/crypto-shredding';
import { loadPersonIdentifiers, loadVouchedPersonIdentifiers } from '../../db/person-store';
import { getSegment } from '../../db/segments-store';
import {
  AD_PLATFORM_SYSTEMS,
  type AdPlatform,
  type HashedPerson,
  hashForPlatform,
  platformBatches,
  platformRows,
} from '../../domain/ad-audiences';

/**
 * The region side of an ad-audience sync (workflows/ad-audience-sync.ts). One pass: note the
 * segment's moves from the membership outbox (exactly once, db/ad-audiences-store.ts), then, page by
 * page of candidates, decide from the state now (member + personalisedAds consent → wanted), open the
 * people's emails and phones here, hash them the platform's way, and add / remove them in requests
 * within the platform's limits. Only the audience ID and counts go back to the workflow: identifiers
 * and hashes live only inside this activity (DESIGN.md, rule 2).
 *
 * A platform refusal that needs a person (a revoked token: "reconnect …") is noted on the audience and
 * thrown non-retryable by the vendor-failure interceptor; a throttle is retried after the platform's
 * wait. Nothing is settled for a page until its requests succeeded, so a retry repeats them (adding or
 * removing someone twice changes nothing on any of the three platforms).
 */

export interface AdAudienceActivityDeps {
  region: string;
  sql: Sql;
  regionKey: RegionKey;
  globalSql: Sql;
  /** Candidates per page (each page's people are opened, hashed and sent before the next). */
  pageSize?: number;
  /** Pages per pass before handing back to the workflow (which loops at once when `more`). */
  pagesPerPass?: number;
}

export interface AdAudiencePassResult {
  /** 'gone': the audience was archived (or its segment or connector is gone): the sync ends. */
  status: 'synced' | 'gone';
  noted: number;
  added: number;
  removed: number;
  /** Wanted but with no email or phone to match: not uploaded. */
  unmatchable: number;
  requests: number;
  /** Candidates are left: call again at once. */
  more: boolean;
}

const DEFAULT_PAGE = 2000;
const DEFAULT_PAGES_PER_PASS = 10;

/** Adds and removes hashed people on one platform audience; returns how many requests it sent. */
interface AudienceUploader {
  add(people: HashedPerson[]): Promise<number>;
  remove(people: HashedPerson[]): Promise<number>;
}

function uploaderFor(
  platform: AdPlatform,
  audienceId: string,
  settings: unknown,
  credentials: unknown,
): AudienceUploader {
  switch (platform) {
    case 'meta': {
      const s = settings as MetaAudiencesSettings;
      const client = new MetaAudiencesClient({
        accessToken: (credentials as MetaAudiencesCredentials).accessToken,
        adAccountId: s.adAccountId,
        ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}),
        ...(s.apiVersion ? { apiVersion: s.apiVersion } : {}),
        ...(s.rateLimitWaitSeconds ? { rateLimitWaitMs: s.rateLimitWaitSeconds * 1000 } : {}),
      });
      const send = async (
        people: HashedPerson[],
        change: (payload: ReturnType<typeof payloadOfRows>) => Promise<unknown>,
      ) => {
        const batches = platformBatches('meta', people.flatMap(platformRows));
        for (const rows of batches) {
          await change(payloadOfRows(rows));
          Context.current().heartbeat();
        }
        return batches.length;
      };
      return {
        add: (people) => send(people, (payload) => client.addUsers(audienceId, payload)),
        remove: (people) => send(people, (payload) => client.removeUsers(audienceId, payload)),
      };
    }
    case 'google': {
      const client = googleCustomerMatchClient(
        settings as GoogleCustomerMatchSettings,
        credentials as GoogleCustomerMatchCredentials,
      );
      const send = async (people: HashedPerson[], action: 'create' | 'remove') => {
        if (people.length === 0) return 0;
        const job = await client.changeMembers(audienceId, action, platformBatches('google', people));
        return job.requests + 2; // create and run
      };
      return { add: (people) => send(people, 'create'), remove: (people) => send(people, 'remove') };
    }
    case 'tiktok': {
      const client = tiktokAudiencesClient(
        settings as TikTokAudiencesSettings,
        credentials as TikTokAudiencesCredentials,
      );
      const send = async (people: HashedPerson[], action: 'add' | 'delete') => {
        const batches = platformBatches('tiktok', people.flatMap(platformRows));
        for (const rows of batches) {
          await client.changeMembers(audienceId, action, rows);
          Context.current().heartbeat();
        }
        return batches.length;
      };
      return { add: (people) => send(people, 'add'), remove: (people) => send(people, 'delete') };
    }
  }
}

export function createAdAudienceActivities(deps: AdAudienceActivityDeps) {
  const pageSize = deps.pageSize ?? DEFAULT_PAGE;
  const pagesPerPass = deps.pagesPerPass ?? DEFAULT_PAGES_PER_PASS;

  /** The platform connection of the audience, opened with its sealed credentials; undefined when gone. */
  async function openUploader(audience: AdAudience): Promise<AudienceUploader | undefined> {
    const connector = await getConnector(deps.globalSql, audience.connectorId);
    const system = connector ? connectedSystem(connector.system) : undefined;
    if (
      !connector ||
      !system ||
      connector.region !== deps.region ||
      connector.system !== AD_PLATFORM_SYSTEMS[audience.platform]
    )
      return undefined;
    const settings = system.settings.parse(connector.settings);
    const credentials = system.credentials.parse(
      await loadCredentials({ sql: deps.sql, key: deps.regionKey }, connector.id),
    );
    return uploaderFor(audience.platform, audience.platformAudienceId, settings, credentials);
  }

  return {
    /** One pass of the sync (see the module comment); IDs and counts only in and out. */
    async adAudienceSyncPass(input: { audienceId: string; full: boolean }): Promise<AdAudiencePassResult> {
      const result: AdAudiencePassResult = {
        status: 'synced',
        noted: 0,
        added: 0,
        removed: 0,
        unmatchable: 0,
        requests: 0,
        more: false,
      };
      const audience = await getAdAudience(deps.globalSql, input.audienceId);
      const segment = audience ? await getSegment(deps.globalSql, audience.segmentId) : undefined;
      const uploader =
        audience && segment && audience.region === deps.region ? await openUploader(audience) : undefined;
      if (!audience || !segment || !uploader) return { ...result, status: 'gone' };
      const consentBrand = await consentBrandOf(deps.globalSql, segment.brandId);
      try {
        if (input.full) result.noted += await noteEveryoneForResync(deps.sql, audience);
        result.noted += await noteMembershipMoves(deps.sql, audience);
        for (let pages = 0; ; pages++) {
          const page = await candidatePage(deps.sql, audience.id, pageSize);
          if (page.length === 0) break;
          if (pages >= pagesPerPass) {
            result.more = true;
            break;
          }
          const states = await candidateStates(
            deps.sql,
            audience,
            consentBrand,
            page.map((c) => c.customerId),
          );
          const toAdd = states.filter((s) => s.wanted && !s.synced).map((s) => s.customerId);
          const toRemove = states.filter((s) => !s.wanted && s.synced).map((s) => s.customerId);
          // Opened here, hashed here, sent from here: nothing of it is returned.
          const hashed = new Map<string, HashedPerson>();
          // An upload uses only vouched identifiers (no browser claim); a removal uses every one, to miss nothing.
          const removing = new Set(toRemove);
          for (const customerId of [...toAdd, ...toRemove]) {
            const load = removing.has(customerId) ? loadPersonIdentifiers : loadVouchedPersonIdentifiers;
            const person = await load(deps.sql, deps.regionKey, customerId);
            const h = person ? hashForPlatform(audience.platform, person) : undefined;
            if (h) hashed.set(customerId, h);
          }
          const removable = toRemove.flatMap((id) => hashed.get(id) ?? []);
          const addable = toAdd.filter((id) => hashed.has(id));
          if (removable.length > 0) result.requests += await uploader.remove(removable);
          if (addable.length > 0) result.requests += await uploader.add(addable.map((id) => hashed.get(id)!));
          // Someone leaving with nothing left to match (identifiers gone) is removed from the bookkeeping too.
          await settleCandidates(deps.sql, audience.id, { added: addable, removed: toRemove, page });
          result.added += addable.length;
          result.removed += toRemove.length;
          result.unmatchable += toAdd.length - addable.length;
          Context.current().heartbeat();
        }
      } catch (error) {
        // A refusal a person must fix (reconnect, a refused request) is shown on the audience.
        if (error instanceof ConnectorError && !error.retryable)
          await noteAdAudienceOutcome(deps.globalSql, audience.id, error.message);
        throw error;
      }
      await noteAdAudienceOutcome(deps.globalSql, audience.id, null);
      return result;
    },
  };
}

export type AdAudienceActivities = ReturnType<typeof createAdAudienceActivities>;
