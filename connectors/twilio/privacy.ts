import { z } from 'zod';
import type { ConnectedSystem, PersonIdentifiers, PrivacyContext, PrivacyOutcome } from '../privacy';
import { ConnectorTransientError } from '../errors';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { TWILIO_API, TWILIO_API_ORIGIN, TwilioAuth, TwilioMessagesClient, TwilioMessageRecord } from './client';
import { phonesOf } from './mapping';

export const TwilioSettings = z.object({
  /** The account whose messages are erased: AC + 32 hex digits (Twilio Console → Account info). */
  accountSid: z
    .string()
    .regex(
      /^AC[0-9a-f]{32}$/,
      'must be the Twilio Account SID: AC followed by 32 lower-case hex digits (Twilio Console → Account info)',
    ),
  /** Only for an emulator in tests (under the test-only host override); the real API is https://api.twilio.com. */
  baseUrl: vendorUrlSetting(TWILIO_API, TWILIO_API_ORIGIN).optional(),
  /** Messages per list page, at most 1000 (Twilio's maximum, the default). */
  pageSize: z.int().min(1).max(1000).optional(),
});
export type TwilioSettings = z.infer<typeof TwilioSettings>;

export const TwilioCredentials = z.union(
  [
    z.object({ authToken: z.string().min(1) }).strict(),
    z
      .object({
        apiKeySid: z.string().regex(/^SK[0-9a-f]{32}$/, 'must be an API key SID: SK followed by 32 hex digits'),
        apiKeySecret: z.string().min(1),
      })
      .strict(),
  ],
  { error: 'give either the Auth Token ({ authToken }) or an API key ({ apiKeySid, apiKeySecret })' },
);
export type TwilioCredentials = z.infer<typeof TwilioCredentials>;

/** Evidence lists at most this many Twilio request IDs (and says how many there were). */
const MAX_REQUEST_IDS = 20;

/**
 * Twilio (SMS) as a connected system for privacy: it holds the person's SMS history — messages to
 * and from their phone numbers — which `erase` deletes and `export` hands over.
 *
 * No consent operations (`purposes` is empty, no `applyConsent` or `suppress`): Twilio has no
 * public API to put a number on a Messaging Service's opt-out list — opt-outs come only from the
 * recipient's STOP keyword — so there is nothing in Twilio to record a consent change in. SMS
 * consent is enforced by Meridian's own send path instead: journeys check the person's effective
 * smsMarketing consent before every send, so a denial stops messages without any call here.
 *
 * Erase lists GET /2010-04-01/Accounts/{AccountSid}/Messages.json?To=… and ?From=… for each phone
 * (following next_page_uri), then DELETE …/Messages/{Sid}.json for each; a 404 is a message an earlier
 * attempt deleted, so a retry (same idempotency key) finishes the job and a second erase reports 0
 * deleted. Messages Twilio is still processing (error 20009) are left for the retry the thrown
 * ConnectorTransientError asks for. Evidence holds counts and Twilio request IDs — never a number.
 */
export const twilioSystem: ConnectedSystem<TwilioSettings, TwilioCredentials> = {
  system: 'twilio',
  label: 'Twilio',
  settings: TwilioSettings,
  credentials: TwilioCredentials,
  endpointSettings: ['baseUrl'],
  supports: ['erase', 'export'],
  // Messages are found by the person's phone numbers.
  receives: ['user.contact.phone_number'],
  purposes: [],
  open(settings, credentials, context) {
    const client = clientFor(settings, credentials, context);
    return {
      async erase(person: PersonIdentifiers): Promise<PrivacyOutcome> {
        const { phones, skipped } = phonesOf(person);
        if (phones.length === 0)
          return {
            status: 'not-found',
            evidence: {
              reason: 'no E.164 phone number on record for the person',
              phonesSkipped: String(skipped),
              idempotencyKey: context.idempotencyKey,
            },
          };
        const messages = await client.listFor(phones);
        const deletion = await client.deleteAll(messages.map((message) => message.sid));
        if (deletion.notYetFinal > 0) {
          throw new ConnectorTransientError(
            `Twilio is still processing ${deletion.notYetFinal} of the person's ${messages.length} messages (Twilio error 20009: a message can be deleted only once final); ${deletion.deleted} were deleted now — retry in a few minutes to delete the rest`,
            'Twilio',
          );
        }
        return {
          status: 'done',
          evidence: {
            operation: 'DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json',
            accountSid: settings.accountSid,
            phoneNumbersSearched: String(phones.length),
            messagesDeleted: String(deletion.deleted),
            messagesAlreadyDeleted: String(deletion.alreadyGone),
            ...requestIdEvidence(deletion.requestIds),
            completedAt: new Date().toISOString(),
            idempotencyKey: context.idempotencyKey,
          },
        };
      },

      async export(person: PersonIdentifiers): Promise<{ outcome: PrivacyOutcome; data: unknown }> {
        const { phones } = phonesOf(person);
        if (phones.length === 0) {
          return {
            outcome: {
              status: 'not-found',
              evidence: {
                reason: 'no E.164 phone number on record for the person',
                idempotencyKey: context.idempotencyKey,
              },
            },
            data: { messages: [] },
          };
        }
        const messages: TwilioMessageRecord[] = await client.listFor(phones);
        return {
          outcome: {
            status: 'done',
            evidence: {
              accountSid: settings.accountSid,
              messagesExported: String(messages.length),
              exportedAt: new Date().toISOString(),
              idempotencyKey: context.idempotencyKey,
            },
          },
          data: {
            messages: messages.map((message) => ({
              sid: message.sid,
              date_sent: message.dateSent,
              direction: message.direction,
              status: message.status,
              body: message.body,
            })),
          },
        };
      },
    };
  },
};

function clientFor(
  settings: TwilioSettings,
  credentials: TwilioCredentials,
  context: PrivacyContext,
): TwilioMessagesClient {
  const auth: TwilioAuth =
    'authToken' in credentials
      ? { authToken: credentials.authToken }
      : { apiKeySid: credentials.apiKeySid, apiKeySecret: credentials.apiKeySecret };
  return new TwilioMessagesClient({
    accountSid: settings.accountSid,
    auth,
    ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
    ...(settings.pageSize ? { pageSize: settings.pageSize } : {}),
    sleep: heartbeatingSleep(context),
    ...(context.heartbeat ? { heartbeat: context.heartbeat } : {}),
  });
}

function requestIdEvidence(ids: string[]): Record<string, string> {
  if (ids.length === 0) return { twilioRequestIds: '' };
  const shown = ids.slice(0, MAX_REQUEST_IDS).join(',');
  return ids.length > MAX_REQUEST_IDS
    ? { twilioRequestIds: shown, twilioRequestIdsTotal: String(ids.length) }
    : { twilioRequestIds: shown };
}
