import type { KlaviyoProfile } from './client';

/** What privacy reads from a Klaviyo profile: its address, its number, its email suppressions and SMS consent. */

export function emailOf(profile: KlaviyoProfile): string | undefined {
  const email = profile.attributes.email;
  return typeof email === 'string' && email !== '' ? email : undefined;
}

export function phoneOf(profile: KlaviyoProfile): string | undefined {
  const phone = profile.attributes.phone_number;
  return typeof phone === 'string' && phone !== '' ? phone : undefined;
}

interface Subscriptions {
  email?: { marketing?: { suppression?: { reason?: unknown }[] | null } | null } | null;
  sms?: { marketing?: { consent?: unknown } | null } | null;
}

export function suppressionReasons(profile: KlaviyoProfile): string[] {
  const suppression = (profile.attributes.subscriptions as Subscriptions | undefined)?.email?.marketing?.suppression;
  return Array.isArray(suppression)
    ? suppression.map((s) => (typeof s?.reason === 'string' ? s.reason : '')).filter(Boolean)
    : [];
}

export function smsConsent(profile: KlaviyoProfile): string | undefined {
  const consent = (profile.attributes.subscriptions as Subscriptions | undefined)?.sms?.marketing?.consent;
  return typeof consent === 'string' ? consent : undefined;
}
