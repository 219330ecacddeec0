import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Meta's webhooks for Lead Ads (developers.facebook.com, "Webhooks" and "Lead Ads: Webhooks"):
 *
 * - Verification: Meta sends `GET ?hub.mode=subscribe&hub.verify_token=<the token set on the
 *   subscription>&hub.challenge=<n>`; the endpoint answers the challenge as is when the token matches.
 * - Notifications: `POST` with `{object:"page", entry:[{id, time, changes:[{field:"leadgen",
 *   value:{leadgen_id, form_id, page_id, ad_id, created_time}}]}]}`, signed in `X-Hub-Signature-256`:
 *   `sha256=` and the hex HMAC-SHA256 of the raw body under the app secret. The notification carries
 *   IDs only; the lead itself is read from the Graph API by its ID.
 */

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

/** The signature Meta sends for `raw` (tests and the emulator sign with it). */
export function metaWebhookSignature(appSecret: string, raw: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

export function checkMetaSignature(
  appSecret: string,
  header: string | undefined,
  raw: Buffer,
): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: `${META_SIGNATURE_HEADER} is missing: Meta signs every notification` };
  const expected = Buffer.from(metaWebhookSignature(appSecret, raw));
  const given = Buffer.from(header.trim().toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return {
      ok: false,
      reason: `${META_SIGNATURE_HEADER} does not match the body: check the app secret of the connector (it must be the secret of the app that subscribed)`,
    };
  return { ok: true };
}

/** The challenge to echo, or undefined when the request is not a subscription with the right token. */
export function verificationChallenge(
  query: Record<string, unknown>,
  verifyToken: string,
): { ok: true; challenge: string } | { ok: false; reason: string } {
  if (query['hub.mode'] !== 'subscribe') return { ok: false, reason: 'hub.mode: must be subscribe' };
  const token = query['hub.verify_token'];
  const expected = Buffer.from(verifyToken);
  const given = Buffer.from(typeof token === 'string' ? token : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "hub.verify_token: does not match the connector's verify token" };
  const challenge = query['hub.challenge'];
  if (typeof challenge !== 'string' || challenge === '' || challenge.length > 200)
    return { ok: false, reason: 'hub.challenge: must be given' };
  return { ok: true, challenge };
}

const Notification = z.object({
  object: z.literal('page', { error: 'must be "page" (a Page subscription)' }),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      changes: z
        .array(
          z.looseObject({
            field: z.string(),
            value: z.looseObject({
              leadgen_id: z.union([z.string(), z.number()]).optional(),
              form_id: z.union([z.string(), z.number()]).optional(),
              page_id: z.union([z.string(), z.number()]).optional(),
            }),
          }),
        )
        .optional(),
    }),
  ),
});

export interface LeadgenChange {
  leadId: string;
  formId?: string;
  pageId?: string;
}

/** The leads a notification names (IDs only), or why it is not a leadgen notification. */
export function leadgenChanges(body: unknown): { ok: true; leads: LeadgenChange[] } | { ok: false; reason: string } {
  const parsed = Notification.safeParse(body);
  if (!parsed.success)
    return { ok: false, reason: 'the body is not a Page webhook notification (object "page", entry[])' };
  const id = (value: string | number | undefined) => {
    const text = value === undefined ? '' : String(value);
    return /^\d{1,32}$/.test(text) ? text : undefined;
  };
  const leads: LeadgenChange[] = [];
  for (const entry of parsed.data.entry)
    for (const change of entry.changes ?? []) {
      if (change.field !== 'leadgen') continue;
      const leadId = id(change.value.leadgen_id);
      if (!leadId) continue;
      const formId = id(change.value.form_id);
      const pageId = id(change.value.page_id) ?? id(entry.id);
      leads.push({ leadId, ...(formId ? { formId } : {}), ...(pageId ? { pageId } : {}) });
    }
  return { ok: true, leads };
}
