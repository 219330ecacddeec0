import { z } from 'zod';
import { adPlatformPrivacy, type ConnectedSystem } from '../privacy';
import { vendorUrlSetting } from '../http';
import { META_API, META_GRAPH_URL, MetaAudiencesClient } from './client';
import { hashedPayload } from './mapping';

/**
 * Meta custom audiences as a connected system for privacy (an ad platform):
 *
 * - `erase`: the person's hashed emails and phone numbers are removed from every configured audience
 *   (settings.audienceIds); 'done' with Meta's session ID per audience as evidence. Meta confirms the
 *   request at once and applies it within about a day; there is nothing further to poll.
 * - `applyConsent`: personalisedAds denied → the same removal. Granted → nothing: people are added to
 *   audiences by the audience sync, from the consent it reads, never by a consent change here.
 *   Removing is idempotent, so a retry after a partial failure simply removes again.
 *
 * Meta holds only hashes, so there is no export; suppression is what a denial does.
 * Evidence holds audience and session IDs and counts: no email, phone number or hash.
 */

export const MetaAudiencesSettings = z.object({
  /** https://graph.facebook.com (the default), or an emulator's URL in tests (under the test-only host override). */
  baseUrl: vendorUrlSetting(META_API, META_GRAPH_URL).optional(),
  /** The Marketing API version; default v21.0. */
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must be a Graph API version such as v21.0')
    .optional(),
  /** The ad account owning the audiences, act_123… or its digits. */
  adAccountId: z.string().regex(/^(act_)?\d+$/, 'must be the ad account ID, e.g. act_1234567890'),
  /** The custom audiences the person must leave. */
  audienceIds: z
    .array(z.string().regex(/^\d+$/, 'must be a custom audience ID (digits only)'))
    .min(1, 'give at least one custom audience ID'),
  /** The wait after a throttle when Meta gives no estimate; default 60 s. */
  rateLimitWaitSeconds: z.int().min(1).max(3600).optional(),
});
export type MetaAudiencesSettings = z.infer<typeof MetaAudiencesSettings>;

export const MetaAudiencesCredentials = z.object({
  /** A system user or user access token with ads_management on the ad account. */
  accessToken: z.string().min(1, 'the Marketing API access token is required'),
});
export type MetaAudiencesCredentials = z.infer<typeof MetaAudiencesCredentials>;

export const metaAudiencesSystem: ConnectedSystem<MetaAudiencesSettings, MetaAudiencesCredentials> = {
  system: 'meta_audiences',
  label: 'Meta custom audiences',
  settings: MetaAudiencesSettings,
  credentials: MetaAudiencesCredentials,
  endpointSettings: ['baseUrl'],
  supports: ['applyConsent', 'erase'],
  // Hashed (SHA-256), as Meta requires: still the person's email and phone.
  receives: ['user.contact.email', 'user.contact.phone_number'],
  purposes: ['personalisedAds'],
  open(settings, credentials, context) {
    const client = new MetaAudiencesClient({
      accessToken: credentials.accessToken,
      adAccountId: settings.adAccountId,
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
      ...(settings.rateLimitWaitSeconds ? { rateLimitWaitMs: settings.rateLimitWaitSeconds * 1000 } : {}),
    });
    const audienceIds = [...new Set(settings.audienceIds)];
    return adPlatformPrivacy({ name: 'Meta', lists: 'custom audiences' }, async (person) => {
      const payload = hashedPayload(person.emails, person.phones);
      if (!payload) return undefined;
      const evidence: Record<string, string> = {
        audiences: audienceIds.join(','),
        matchKeys: payload.schema.join(','),
        apiVersion: client.apiVersion,
      };
      for (const audienceId of audienceIds) {
        context.heartbeat?.();
        const result = await client.removeUsers(audienceId, payload);
        evidence[`audience.${audienceId}.session_id`] = result.sessionId;
        evidence[`audience.${audienceId}.num_received`] = String(result.numReceived);
        evidence[`audience.${audienceId}.num_invalid_entries`] = String(result.numInvalidEntries);
      }
      return evidence;
    });
  },
};
