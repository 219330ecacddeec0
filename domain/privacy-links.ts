import type { SigningKeys } from './signing-keys';

/**
 * The capabilities in privacy links, each signed with its own derived key and naming the key
 * version that signed it:
 * - a status token lets whoever holds it see (and cancel) one request, until it expires;
 * - an export signature covers one region's package of an access request and its expiry;
 * - a preference signature covers one person's preference centre in one region and its expiry.
 * Expiries are Unix seconds, inside the signed text, so they cannot be stretched.
 */

export type LinkCheck = 'valid' | 'expired' | 'invalid';

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** `<expires>.<keyId>.<mac>`: the status of `requestId`, until `expiresAt`. */
export function statusToken(keys: SigningKeys, requestId: string, expiresAt: Date): string {
  const expires = seconds(expiresAt);
  return `${expires}.${keys.sign('privacy-status-link', `${requestId}:${expires}`)}`;
}

/** Whether `token` opens `requestId`'s status now; an expired token is told apart so the page can offer a new link. */
export function checkStatusToken(keys: SigningKeys, requestId: string, token: unknown, now = new Date()): LinkCheck {
  if (typeof token !== 'string') return 'invalid';
  const dot = token.indexOf('.');
  const expires = token.slice(0, dot);
  if (dot <= 0 || !/^\d{1,12}$/.test(expires)) return 'invalid';
  if (!keys.verify('privacy-status-link', `${requestId}:${expires}`, token.slice(dot + 1))) return 'invalid';
  return Number(expires) <= seconds(now) ? 'expired' : 'valid';
}

/**
 * The signature of one package of `requestId` in `region` (a region may hold several, numbered from
 * 1), valid until `expires` (Unix seconds). The first package's text is the one links had before
 * packages were numbered, so those links still work.
 */
export function exportSignature(
  keys: SigningKeys,
  requestId: string,
  region: string,
  expires: number,
  packageNo = 1,
): string {
  return keys.sign('privacy-export-link', exportText(requestId, region, expires, packageNo));
}

const exportText = (requestId: string, region: string, expires: number, packageNo: number) =>
  packageNo === 1 ? `${requestId}:${region}:${expires}` : `${requestId}:${region}#${packageNo}:${expires}`;

export function checkExportSignature(
  keys: SigningKeys,
  requestId: string,
  region: string,
  expires: unknown,
  sig: unknown,
  now = new Date(),
  packageNo = 1,
): LinkCheck {
  const at = Number(expires);
  if (!Number.isInteger(at) || !keys.verify('privacy-export-link', exportText(requestId, region, at, packageNo), sig))
    return 'invalid';
  return at <= seconds(now) ? 'expired' : 'valid';
}

/** The signature of `customerId`'s preference centre in `region`, valid until `expires` (Unix seconds). */
export function preferenceSignature(keys: SigningKeys, customerId: string, region: string, expires: number): string {
  return keys.sign('privacy-preference-link', `${customerId}:${region}:${expires}`);
}

export function checkPreferenceSignature(
  keys: SigningKeys,
  customerId: string,
  region: string,
  expires: unknown,
  sig: unknown,
  now = new Date(),
): LinkCheck {
  const at = Number(expires);
  if (!Number.isInteger(at) || !keys.verify('privacy-preference-link', `${customerId}:${region}:${at}`, sig))
    return 'invalid';
  return at <= seconds(now) ? 'expired' : 'valid';
}

/**
 * The signature in a marketing email's one-click unsubscribe link (RFC 8058): one person, one brand,
 * one channel, in one region. It does not expire: an old email's link must still work.
 */
export function unsubscribeSignature(
  keys: SigningKeys,
  link: { customerId: string; region: string; brandId: string; channel: string },
): string {
  return keys.sign('list-unsubscribe-link', `${link.customerId}:${link.region}:${link.brandId}:${link.channel}`);
}

export function checkUnsubscribeSignature(
  keys: SigningKeys,
  link: { customerId: string; region: string; brandId: string; channel: string },
  sig: unknown,
): boolean {
  return keys.verify('list-unsubscribe-link', `${link.customerId}:${link.region}:${link.brandId}:${link.channel}`, sig);
}

/** The one-click unsubscribe URL of a marketing email: GET shows a confirmation, POST withdraws at once. */
export function unsubscribeUrl(
  keys: SigningKeys,
  publicUrl: string,
  link: { customerId: string; region: string; brandId: string; channel: string },
): string {
  const query = new URLSearchParams({
    region: link.region,
    brand: link.brandId,
    channel: link.channel,
    sig: unsubscribeSignature(keys, link),
  });
  return `${publicUrl.replace(/\/$/, '')}/privacy/unsubscribe/${link.customerId}?${query}`;
}
