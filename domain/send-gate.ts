import { z } from 'zod';
import type { Purpose } from './consent';
import { CHANNELS, type Channel } from './quiet-hours';
import type { RequestType } from './privacy-messages';

/**
 * The send gate's vocabulary (issue 12): what a journey or broadcast asks to send, and what the gate
 * answers. Inputs and outcomes carry IDs only (DESIGN.md rule 2): the activity reads the address
 * from the sealed identities and the content from the template by reference.
 */

export { CHANNELS, type Channel };

/** Marketing is the only purpose so far; transactional messages (receipts) will skip consent and caps. */
export const SEND_PURPOSES = ['marketing'] as const;
export type SendPurpose = (typeof SEND_PURPOSES)[number];

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const id = (what: string) =>
  z.string({ error: `${what} is required` }).regex(idPattern, {
    error: `${what} must be 1–200 letters, digits, dots, colons, dashes or underscores (an ID, never an address or text)`,
  });

export const sendRequestSchema = z.strictObject({
  region: id('region'),
  customerId: z.uuid({ error: 'customerId must be a UUID' }),
  brandId: id('brandId'),
  channel: z.enum(CHANNELS, { error: `channel must be one of ${CHANNELS.join(', ')}` }),
  purpose: z.enum(SEND_PURPOSES, { error: `purpose must be one of ${SEND_PURPOSES.join(', ')}` }),
  templateRef: id('templateRef'),
  /** The natural key of this one message: journey run + step, broadcast + customer. A retry reuses it. */
  sendKey: id('sendKey'),
  journeyRunId: id('journeyRunId').optional(),
});
export type SendRequest = z.infer<typeof sendRequestSchema>;

export type BlockedReason =
  | 'no-consent-subject'
  | 'consent-not-granted'
  | 'suppressed'
  | 'open-privacy-request'
  | 'frequency-cap-day'
  | 'frequency-cap-window'
  | 'no-address'
  | 'failed-before';

export type SendOutcome =
  | { status: 'sent'; sendKey: string; providerMessageId: string; repeated: boolean }
  | { status: 'deferred'; until: string }
  | { status: 'blocked'; reason: BlockedReason };

/**
 * The consent purpose a channel's marketing needs. App push needs `push`; a LINE message is a
 * notification in the LINE app from an account the person follows, so it needs `push` too (on top
 * of the follow, which LINE itself enforces: a blocked account's pushes are not delivered). A
 * webhook reaches whatever system its owner configured: its purpose is configured with it
 * (`MessageChannel.consentPurpose`), so it has no entry here, and no unsubscribe link.
 */
export const MARKETING_CONSENT: Readonly<Partial<Record<Channel, Purpose>>> = {
  email: 'emailMarketing',
  sms: 'smsMarketing',
  push: 'push',
  line: 'push',
};

/**
 * Frequency caps per person and channel, across every journey and broadcast, counted in the person's
 * local calendar days (as Braze does): at most `perLocalDay` today, at most `perWindow.max` in the
 * last `perWindow.days` local days including today.
 */
export interface FrequencyCap {
  perLocalDay: number;
  perWindow: { days: number; max: number };
}

/**
 * Push and LINE are marketing channels with caps of their own (a person's push and LINE budgets do
 * not eat each other's or email's). A webhook is not capped unless its configuration sets a cap
 * (`ChannelActivityDeps.caps`): what it reaches may be a system, not a person's inbox.
 */
export const FREQUENCY_CAPS: Readonly<Record<SendPurpose, Readonly<Partial<Record<Channel, FrequencyCap>>>>> = {
  marketing: {
    email: { perLocalDay: 2, perWindow: { days: 7, max: 5 } },
    sms: { perLocalDay: 1, perWindow: { days: 7, max: 3 } },
    push: { perLocalDay: 3, perWindow: { days: 7, max: 10 } },
    line: { perLocalDay: 1, perWindow: { days: 7, max: 4 } },
  },
};

/**
 * Privacy requests that stop marketing while they run: once verified (an unverified request may come
 * from anyone), until finished. Access and correction requests do not stop it.
 */
export const REQUEST_TYPES_STOPPING_MARKETING: readonly RequestType[] = ['deletion', 'optOut', 'restriction'];
export const REQUEST_STATUSES_STOPPING_MARKETING = [
  'verified',
  'suppressed',
  'cooling-off',
  'in-progress',
  'waiting-on-operator',
] as const;
