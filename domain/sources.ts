/**
 * What kind of sender a source is, which decides how far Meridian trusts what it says.
 *
 * - `browser`: analytics.js, RudderStack's JS SDK, mobile apps. The write key ships in the page or
 *   the app, so it is public: anyone can send with it. Such a source may only write, and what it
 *   claims about who someone is (an email in `identify`) is the visitor's unverified word.
 * - `server`: the brand's back end (analytics-node, rudder-sdk-node). The key is a secret; what it
 *   says about a person carries the brand's authority.
 */
export const SOURCE_KINDS = ['browser', 'server'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * A web origin as browsers send it in `Origin`: scheme, host and optional port, nothing else.
 * Normalised to lower case without a trailing slash, so comparisons are exact.
 */
export function normaliseOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    return undefined;
  if (value.trim().replace(/\/$/, '').toLowerCase() !== url.origin.toLowerCase()) return undefined;
  return url.origin.toLowerCase();
}

/**
 * Every write key Meridian issues: `wk_` and 24 random bytes in base64url (db/sources.ts). A key
 * of any other shape cannot exist, so it is refused without a database lookup.
 */
const WRITE_KEY_FORMAT = /^wk_[A-Za-z0-9_-]{32}$/;

export function isWriteKeyFormat(value: string): boolean {
  return WRITE_KEY_FORMAT.test(value);
}
