import { z } from 'zod';
import { hashForPlatform, platformRows } from '../../domain/ad-audiences';
import { vendorUrlSetting } from '../http';
import { adPlatformPrivacy, type ConnectedSystem } from '../privacy';
import { TIKTOK_API, TIKTOK_URL, TikTokAudiencesClient } from './client';

/**
 * TikTok audiences as a connected system: the connection the ad-audience sync uses, and for
 * privacy, like Meta's: `erase` and a personalisedAds denial delete the person's hashed email and
 * phone from every configured audience; a grant does nothing here (the audience sync adds people).
 * Evidence holds TikTok request IDs: no email, phone number or hash.
 */

export const TikTokAudiencesSettings = z.object({
  /** https://business-api.tiktok.com (the default), or an emulator's URL in tests. */
  baseUrl: vendorUrlSetting(TIKTOK_API, TIKTOK_URL).optional(),
  advertiserId: z.string().regex(/^\d+$/, 'must be the TikTok advertiser ID (digits only)'),
  /** The audiences a person must leave on erasure or withdrawal (and the ones ad audiences may sync). */
  audienceIds: z
    .array(z.string().regex(/^\d+$/, 'must be a TikTok audience ID (digits only)'))
    .min(1, 'give at least one TikTok audience ID'),
  /** The wait after code 40100 (TikTok gives none); default 10 s. */
  rateLimitWaitSeconds: z.int().min(1).max(3600).optional(),
});
export type TikTokAudiencesSettings = z.infer<typeof TikTokAudiencesSettings>;

export const TikTokAudiencesCredentials = z.object({
  /** A Marketing API access token of the advertiser, with Audience Management. */
  accessToken: z.string().min(1, 'the TikTok Marketing API access token is required'),
});
export type TikTokAudiencesCredentials = z.infer<typeof TikTokAudiencesCredentials>;

export function tiktokAudiencesClient(
  settings: TikTokAudiencesSettings,
  credentials: TikTokAudiencesCredentials,
): TikTokAudiencesClient {
  return new TikTokAudiencesClient({
    accessToken: credentials.accessToken,
    advertiserId: settings.advertiserId,
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
    ...(settings.rateLimitWaitSeconds ? { rateLimitWaitMs: settings.rateLimitWaitSeconds * 1000 } : {}),
  });
}

export const tiktokAudiencesSystem: ConnectedSystem<TikTokAudiencesSettings, TikTokAudiencesCredentials> = {
  system: 'tiktok_audiences',
  label: 'TikTok audiences',
  settings: TikTokAudiencesSettings,
  credentials: TikTokAudiencesCredentials,
  endpointSettings: ['baseUrl'],
  supports: ['applyConsent', 'erase'],
  // Hashed (SHA-256), as TikTok requires: still the person's email and phone.
  receives: ['user.contact.email', 'user.contact.phone_number'],
  purposes: ['personalisedAds'],
  open(settings, credentials, context) {
    const client = tiktokAudiencesClient(settings, credentials);
    return adPlatformPrivacy({ name: 'TikTok', lists: 'TikTok audiences' }, async (person) => {
      const hashed = hashForPlatform('tiktok', person);
      if (!hashed) return undefined;
      const evidence: Record<string, string> = {};
      for (const audienceId of [...new Set(settings.audienceIds)]) {
        context.heartbeat?.();
        // One row per email/phone pair, so every hash the person has is deleted.
        evidence[`audience.${audienceId}.request_id`] = await client.changeMembers(
          audienceId,
          'delete',
          platformRows(hashed),
        );
      }
      return evidence;
    });
  },
};
