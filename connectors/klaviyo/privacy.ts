import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConnectorRequestError } from '../errors';
import type {
  ConnectedSystem,
  ConnectedSystemSession,
  PersonIdentifiers,
  PrivacyContext,
  PrivacyOutcome,
} from '../privacy';
import { heartbeatingSleep, vendorUrlSetting } from '../http';
import { KLAVIYO_API, KLAVIYO_BASE_URL, KlaviyoClient, KlaviyoProfile } from './client';
import { emailOf, phoneOf, smsConsent, suppressionReasons } from './mapping';

/**
 * Klaviyo as a connected system for privacy (an email and SMS provider):
 *
 * - `applyConsent`: emailMarketing denied → bulk suppression job for the person's profiles' addresses
 *   (not yet suppressed by hand); granted → bulk unsuppression job (lifts USER_SUPPRESSED only: bounces,
 *   spam complaints and unsubscribes stay). smsMarketing denied → bulk SMS unsubscription of profiles
 *   subscribed to SMS; granted → nothing: Klaviyo subscribes a phone number only on the person's own
 *   opt-in, so Meridian never subscribes anyone. Other purposes are not Klaviyo's.
 * - `suppress`: email suppression, reversible (SMS consent is not touched: it cannot be given back).
 * - `erase`: a data-privacy deletion per profile found by the person's emails and phones. Klaviyo answers
 *   202 without a job ID and deletes later, so the outcome is 'submitted' with a job ID derived from the
 *   idempotency key and the profile IDs, and `checkJob` looks each profile up again: 'done' once none
 *   is found. Erasing again is safe: while the deletion is pending the same request is sent again and
 *   the same job ID comes back; once the profiles are gone the answer is 'not-found'.
 * - `export`: the profiles found, with their subscriptions and suppressions.
 *
 * Only profiles that exist are acted on: Klaviyo's bulk suppression and unsubscription create a profile
 * for an unknown address, which would add data about a person rather than remove it.
 * Job IDs and evidence carry Klaviyo's profile and job IDs, never an email address or phone number.
 */

export const KlaviyoSettings = z.object({
  /** https://a.klaviyo.com (the default), or an emulator's URL in tests (under the test-only host override). */
  baseUrl: vendorUrlSetting(KLAVIYO_API, KLAVIYO_BASE_URL).optional(),
  /** The API revision sent in the `revision` header; default 2024-10-15. */
  revision: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, 'must be a Klaviyo API revision such as 2024-10-15')
    .optional(),
  /** How soon to ask again about a deletion (default 60 s) and about a suppression job (default 5 s). */
  deletionCheckSeconds: z.int().min(1).max(86_400).optional(),
  jobCheckSeconds: z.int().min(1).max(3600).optional(),
});
export type KlaviyoSettings = z.infer<typeof KlaviyoSettings>;

export const KlaviyoCredentials = z.object({
  apiKey: z
    .string()
    .regex(
      /^pk_\S+$/,
      'must be a Klaviyo private API key (pk_…), with the scopes profiles, subscriptions and data-privacy',
    ),
});
export type KlaviyoCredentials = z.infer<typeof KlaviyoCredentials>;

const SYSTEM = 'Klaviyo';
/** When to ask about a bulk job again: Klaviyo runs them within seconds. */
const JOB_CHECK_AFTER_MS = 5_000;
/** When to look a deleted profile up again: deletions take minutes, sometimes longer. */
const DELETION_CHECK_AFTER_MS = 60_000;

/** What a job ID points at: a bulk job, or a profile to look up again. */
type JobRef =
  | { kind: 'sup' | 'unsup'; id: string } // profile-suppression-bulk-create-job / -delete-job
  | { kind: 'smsunsub'; id: string } // a profile whose SMS consent must read UNSUBSCRIBED
  | { kind: 'del'; id: string }; // a profile that must be gone

const JOB_ID =
  /^klaviyo:([0-9a-f]{16}):((?:sup|unsup|smsunsub|del)\.[A-Za-z0-9_-]+(?:,(?:sup|unsup|smsunsub|del)\.[A-Za-z0-9_-]+)*)$/;

export const klaviyoSystem: ConnectedSystem<KlaviyoSettings, KlaviyoCredentials> = {
  system: 'klaviyo',
  label: 'Klaviyo',
  settings: KlaviyoSettings,
  credentials: KlaviyoCredentials,
  endpointSettings: ['baseUrl'],
  supports: ['applyConsent', 'suppress', 'erase', 'export'],
  // Profiles are found by the person's emails and phone numbers.
  receives: ['user.contact.email', 'user.contact.phone_number'],
  purposes: ['emailMarketing', 'smsMarketing'],
  open(settings, credentials, context) {
    const jobCheckMs = (settings.jobCheckSeconds ?? JOB_CHECK_AFTER_MS / 1000) * 1000;
    const deletionCheckMs = (settings.deletionCheckSeconds ?? DELETION_CHECK_AFTER_MS / 1000) * 1000;
    const client = new KlaviyoClient({
      apiKey: credentials.apiKey,
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      ...(settings.revision ? { revision: settings.revision } : {}),
      sleep: heartbeatingSleep(context),
    });
    return klaviyoSession(client, context, { jobCheckMs, deletionCheckMs });
  },
};

function klaviyoSession(
  client: KlaviyoClient,
  context: PrivacyContext,
  { jobCheckMs, deletionCheckMs }: { jobCheckMs: number; deletionCheckMs: number },
): ConnectedSystemSession {
  const keyDigest = createHash('sha256').update(context.idempotencyKey).digest('hex').slice(0, 16);
  const now = () => new Date().toISOString();
  const jobIdOf = (refs: JobRef[]) => `klaviyo:${keyDigest}:${refs.map((ref) => `${ref.kind}.${ref.id}`).join(',')}`;

  /** Every profile any of the person's emails or phone numbers finds, once each. */
  async function profilesOf(person: PersonIdentifiers, subscriptions: boolean): Promise<KlaviyoProfile[]> {
    const found = new Map<string, KlaviyoProfile>();
    for (const email of unique(person.emails.map((e) => e.trim()).filter(Boolean), (e) => e.toLowerCase())) {
      for (const profile of await client.findProfiles({ email }, { subscriptions })) found.set(profile.id, profile);
    }
    for (const phoneNumber of unique(person.phones.map((p) => p.trim()).filter(Boolean), (p) => p)) {
      for (const profile of await client.findProfiles({ phoneNumber }, { subscriptions }))
        found.set(profile.id, profile);
    }
    return [...found.values()];
  }

  const notFound = (person: PersonIdentifiers): PrivacyOutcome => ({
    status: 'not-found',
    evidence: {
      checkedAt: now(),
      lookedUpBy: `${person.emails.length} email(s), ${person.phones.length} phone number(s)`,
      revision: client.revision,
    },
  });

  async function suppressEmails(
    profiles: KlaviyoProfile[],
    evidence: Record<string, string>,
    refs: JobRef[],
  ): Promise<void> {
    const targets = profiles.filter(
      (profile) => emailOf(profile) && !suppressionReasons(profile).includes('USER_SUPPRESSED'),
    );
    if (targets.length === 0) {
      evidence.emailMarketing = profiles.some(emailOf)
        ? 'denied: already suppressed'
        : 'denied: no email address in Klaviyo';
      return;
    }
    const job = await client.suppress(
      unique(
        targets.map((p) => emailOf(p)!),
        (e) => e.toLowerCase(),
      ),
    );
    refs.push({ kind: 'sup', id: job.id });
    evidence.emailMarketing = 'denied: suppression requested';
    evidence.suppressionJobId = job.id;
    evidence.suppressionJobStatus = job.status;
  }

  return {
    async applyConsent(person, change) {
      const relevant = change.purposes.filter((p) => p.purpose === 'emailMarketing' || p.purpose === 'smsMarketing');
      if (relevant.length === 0)
        return { status: 'done', evidence: { action: 'none', reason: 'no purpose Klaviyo acts on', checkedAt: now() } };
      const profiles = await profilesOf(person, true);
      if (profiles.length === 0) return notFound(person);

      const evidence: Record<string, string> = {
        profiles: String(profiles.length),
        profileIds: profiles.map((p) => p.id).join(','),
      };
      const refs: JobRef[] = [];
      for (const { purpose, state } of relevant) {
        if (purpose === 'emailMarketing' && state === 'denied') {
          await suppressEmails(profiles, evidence, refs);
        } else if (purpose === 'emailMarketing') {
          const targets = profiles.filter(
            (profile) => emailOf(profile) && suppressionReasons(profile).includes('USER_SUPPRESSED'),
          );
          if (targets.length === 0) {
            evidence.emailMarketing = 'granted: not suppressed';
          } else {
            const job = await client.unsuppress(
              unique(
                targets.map((p) => emailOf(p)!),
                (e) => e.toLowerCase(),
              ),
            );
            refs.push({ kind: 'unsup', id: job.id });
            evidence.emailMarketing = 'granted: unsuppression requested';
            evidence.unsuppressionJobId = job.id;
            evidence.unsuppressionJobStatus = job.status;
          }
        } else if (state === 'denied') {
          const targets = profiles.filter((profile) => phoneOf(profile) && smsConsent(profile) === 'SUBSCRIBED');
          if (targets.length === 0) {
            evidence.smsMarketing = 'denied: not subscribed to SMS';
          } else {
            await client.unsubscribeSms(
              unique(
                targets.map((p) => phoneOf(p)!),
                (p) => p,
              ),
            );
            for (const profile of targets) refs.push({ kind: 'smsunsub', id: profile.id });
            evidence.smsMarketing = 'denied: SMS unsubscription requested';
          }
        } else {
          evidence.smsMarketing = "granted: no action (Klaviyo subscribes SMS only on the person's own opt-in)";
        }
      }
      if (refs.length === 0) return { status: 'done', evidence: { ...evidence, checkedAt: now() } };
      return {
        status: 'submitted',
        jobId: jobIdOf(refs),
        checkAfterMs: jobCheckMs,
        evidence: { ...evidence, submittedAt: now() },
      };
    },

    async suppress(person) {
      const profiles = await profilesOf(person, true);
      if (profiles.length === 0) return notFound(person);
      const evidence: Record<string, string> = {
        profiles: String(profiles.length),
        profileIds: profiles.map((p) => p.id).join(','),
      };
      const refs: JobRef[] = [];
      await suppressEmails(profiles, evidence, refs);
      if (refs.length === 0) return { status: 'done', evidence: { ...evidence, checkedAt: now() } };
      return {
        status: 'submitted',
        jobId: jobIdOf(refs),
        checkAfterMs: jobCheckMs,
        evidence: { ...evidence, submittedAt: now() },
      };
    },

    async erase(person) {
      const profiles = await profilesOf(person, false);
      if (profiles.length === 0) return notFound(person);
      const ids = profiles.map((p) => p.id).sort();
      for (const id of ids) await client.requestProfileDeletion(id);
      return {
        status: 'submitted',
        jobId: jobIdOf(ids.map((id) => ({ kind: 'del', id }))),
        checkAfterMs: deletionCheckMs,
        evidence: {
          deletionRequested: 'data-privacy-deletion-job',
          profiles: String(ids.length),
          profileIds: ids.join(','),
          requestedAt: now(),
          revision: client.revision,
        },
      };
    },

    async export(person) {
      const profiles = await profilesOf(person, true);
      if (profiles.length === 0) return { outcome: notFound(person), data: { system: 'klaviyo', profiles: [] } };
      return {
        outcome: {
          status: 'done',
          evidence: {
            profiles: String(profiles.length),
            profileIds: profiles.map((p) => p.id).join(','),
            exportedAt: now(),
            revision: client.revision,
          },
        },
        data: {
          system: 'klaviyo',
          profiles: profiles.map((profile) => ({ id: profile.id, attributes: profile.attributes })),
        },
      };
    },

    async checkJob(jobId) {
      const refs = parseJobId(jobId);
      const evidence: Record<string, string> = {};
      let pending = 0;
      let checkAfterMs = jobCheckMs;
      for (const ref of refs) {
        let finished: boolean;
        if (ref.kind === 'sup' || ref.kind === 'unsup') {
          const job = await client.getSuppressionJob(ref.kind === 'sup' ? 'create' : 'delete', ref.id);
          if (job.status === 'cancelled') {
            throw new ConnectorRequestError(
              `${SYSTEM} cancelled the bulk ${ref.kind === 'sup' ? 'suppression' : 'unsuppression'} job ${ref.id}: submit the consent change again`,
              SYSTEM,
              200,
              'cancelled',
            );
          }
          finished = job.status === 'complete';
          evidence[`${ref.kind === 'sup' ? 'suppressionJob' : 'unsuppressionJob'}.${ref.id}`] = job.status;
        } else if (ref.kind === 'del') {
          finished = (await client.getProfile(ref.id)) === null;
          evidence[`profile.${ref.id}`] = finished ? 'deleted' : 'deletion pending';
          if (!finished) checkAfterMs = deletionCheckMs;
        } else {
          const profile = await client.getProfile(ref.id, { subscriptions: true });
          finished = profile === null || smsConsent(profile) !== 'SUBSCRIBED';
          evidence[`profile.${ref.id}.sms`] =
            profile === null
              ? 'profile gone'
              : finished
                ? (smsConsent(profile) ?? 'no SMS consent')
                : 'unsubscription pending';
        }
        if (!finished) pending++;
      }
      if (pending > 0) return { status: 'submitted', jobId, checkAfterMs, evidence: { ...evidence, checkedAt: now() } };
      return { status: 'done', evidence: { ...evidence, verifiedAt: now() } };
    },
  };
}

function parseJobId(jobId: string): JobRef[] {
  const match = JOB_ID.exec(jobId);
  if (!match?.[2])
    throw new RangeError('not a Klaviyo job ID from this connector: expected klaviyo:<key digest>:<kind>.<id>[,…]');
  return match[2].split(',').map((ref) => {
    const dot = ref.indexOf('.');
    return { kind: ref.slice(0, dot) as JobRef['kind'], id: ref.slice(dot + 1) };
  });
}

function unique(values: string[], key: (value: string) => string): string[] {
  const seen = new Map<string, string>();
  for (const value of values) if (!seen.has(key(value))) seen.set(key(value), value);
  return [...seen.values()];
}
