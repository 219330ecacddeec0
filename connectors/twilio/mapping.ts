import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message';
import type { PersonIdentifiers } from '../privacy';

/** A person's phone numbers as Twilio filters by them, and a message as an access request shows it. */

/** One of the person's messages as an access request shows it; never logged. */
export interface TwilioMessageRecord {
  sid: string;
  dateSent: string | null;
  direction: string;
  status: string;
  body: string;
}

const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}

/** The person's phone numbers Twilio can be asked about (E.164), each once. */
export function phonesOf(person: PersonIdentifiers): { phones: string[]; skipped: number } {
  const unique = [...new Set(person.phones.map((phone) => phone.trim()))];
  const valid = unique.filter(isE164);
  return { phones: valid, skipped: unique.length - valid.length };
}

export function recordOf(message: MessageInstance): TwilioMessageRecord {
  const sent =
    message.dateSent instanceof Date && !Number.isNaN(message.dateSent.getTime())
      ? message.dateSent.toISOString()
      : null;
  return {
    sid: message.sid,
    dateSent: sent,
    direction: String(message.direction),
    status: String(message.status),
    body: message.body ?? '',
  };
}
