import { z } from 'zod';
import { hashForPlatform } from '../../domain/ad-audiences';
import { vendorUrlSetting } from '../http';
import { adPlatformPrivacy, type ConnectedSystem } from '../privacy';
import { GOOGLE_ADS_API, GOOGLE_ADS_URL, GoogleCustomerMatchClient } from './client';

/**
 * Google Ads Customer Match as a connected system: the connection the ad-audience sync uses
 * (settings + sealed credentials), and for privacy, like Meta's: `erase` and a personalisedAds
 * denial remove the person's hashed email and phone from every configured user list (a `remove`
 * job per list); a grant does nothing here (people are added by the audience sync, from consent).
 * Evidence holds job and operation names and counts: no email, phone number or hash.
 */

export const GoogleCustomerMatchSettings = z.object({
  /** https://googleads.googleapis.com (the default), or an emulator's URL in tests. */
  baseUrl: vendorUrlSetting(GOOGLE_ADS_API, GOOGLE_ADS_URL).optional(),
  apiVersion: z
    .string()
    .regex(/^v\d+$/, 'must be a Google Ads API version such as v18')
    .optional(),
  /** The Google Ads customer owning the user lists: 123-456-7890 or its digits. */
  customerId: z.string().regex(/^\d{3}-?\d{3}-?\d{4}$/, 'must be the Google Ads customer ID, e.g. 123-456-7890'),
  /** The manager account the access goes through, if any. */
  loginCustomerId: z
    .string()
    .regex(/^\d{3}-?\d{3}-?\d{4}$/, 'must be a Google Ads customer ID, e.g. 123-456-7890')
    .optional(),
  /** The Customer Match user lists a person must leave on erasure or withdrawal (and the ones audiences may sync). */
  userListIds: z
    .array(z.string().regex(/^\d+$/, 'must be a user list ID (digits only)'))
    .min(1, 'give at least one Customer Match user list ID'),
  /** The wait after RESOURCE_EXHAUSTED when Google gives no delay; default 30 s. */
  rateLimitWaitSeconds: z.int().min(1).max(3600).optional(),
});
export type GoogleCustomerMatchSettings = z.infer<typeof GoogleCustomerMatchSettings>;

export const GoogleCustomerMatchCredentials = z.object({
  /** The Google Ads API developer token. */
  developerToken: z.string().min(1, 'the Google Ads developer token is required'),
  /** An OAuth 2.0 access token with the https://www.googleapis.com/auth/adwords scope. */
  accessToken: z.string().min(1, 'the OAuth access token is required'),
});
export type GoogleCustomerMatchCredentials = z.infer<typeof GoogleCustomerMatchCredentials>;

export function googleCustomerMatchClient(
  settings: GoogleCustomerMatchSettings,
  credentials: GoogleCustomerMatchCredentials,
): GoogleCustomerMatchClient {
  return new GoogleCustomerMatchClient({
    accessToken: credentials.accessToken,
    developerToken: credentials.developerToken,
    customerId: settings.customerId,
    ...(settings.loginCustomerId ? { loginCustomerId: settings.loginCustomerId } : {}),
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
    ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}),
    ...(settings.rateLimitWaitSeconds ? { rateLimitWaitMs: settings.rateLimitWaitSeconds * 1000 } : {}),
  });
}

export const googleCustomerMatchSystem: ConnectedSystem<GoogleCustomerMatchSettings, GoogleCustomerMatchCredentials> = {
  system: 'google_customer_match',
  label: 'Google Ads Customer Match',
  settings: GoogleCustomerMatchSettings,
  credentials: GoogleCustomerMatchCredentials,
  endpointSettings: ['baseUrl'],
  supports: ['applyConsent', 'erase'],
  // Hashed (SHA-256), as Google requires: still the person's email and phone.
  receives: ['user.contact.email', 'user.contact.phone_number'],
  purposes: ['personalisedAds'],
  open(settings, credentials, context) {
    const client = googleCustomerMatchClient(settings, credentials);
    return adPlatformPrivacy({ name: 'Google Ads', lists: 'Customer Match user lists' }, async (person) => {
      const hashed = hashForPlatform('google', person);
      if (!hashed) return undefined;
      const evidence: Record<string, string> = { apiVersion: client.apiVersion };
      for (const listId of [...new Set(settings.userListIds)]) {
        context.heartbeat?.();
        const job = await client.changeMembers(listId, 'remove', [[hashed]]);
        evidence[`userList.${listId}.job`] = job.jobResourceName;
        evidence[`userList.${listId}.operation`] = job.operationName;
      }
      return evidence;
    });
  },
};
