/**
 * Ad click IDs on tracked calls: Google's gclid (web), gbraid (iOS app-to-web) and wbraid (web-to-app),
 * as the landing page's URL carries them (`context.page.search` "?gclid=…", `context.page.url`, a page
 * call's `properties.search`/`properties.url`) or as a call names them (`properties.gclid`,
 * `context.campaign.gclid`). Pure: the tracking API records what it finds for the person the call
 * resolved to, so a later purchase can be sent back as a conversion.
 */

export type ClickIdKind = 'gclid' | 'gbraid' | 'wbraid';
export const CLICK_ID_KINDS: readonly ClickIdKind[] = ['gclid', 'gbraid', 'wbraid'];

/** Google's click IDs are URL-safe base64-like tokens; anything else is not kept. */
const CLICK_ID = /^[A-Za-z0-9_-]{10,200}$/;

type Bag = Record<string, unknown> | undefined;

function fromQuery(text: unknown): Partial<Record<ClickIdKind, string>> {
  if (typeof text !== 'string' || text.length > 8192) return {};
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  const params = new URLSearchParams(query.split('#')[0]);
  const found: Partial<Record<ClickIdKind, string>> = {};
  for (const kind of CLICK_ID_KINDS) {
    const value = params.get(kind);
    if (value && CLICK_ID.test(value)) found[kind] = value;
  }
  return found;
}

/** The click IDs a call carries, by kind (the first place that names one wins). */
export function clickIdsOf(call: {
  properties?: unknown;
  context?: unknown;
}): { kind: ClickIdKind; clickId: string }[] {
  const properties = (call.properties ?? {}) as Record<string, unknown>;
  const context = (call.context ?? {}) as Record<string, unknown>;
  const page = context.page as Bag;
  const campaign = context.campaign as Bag;
  const sources: Partial<Record<ClickIdKind, string>>[] = [
    Object.fromEntries(CLICK_ID_KINDS.flatMap((k) => (typeof properties[k] === 'string' ? [[k, properties[k]]] : []))),
    Object.fromEntries(CLICK_ID_KINDS.flatMap((k) => (typeof campaign?.[k] === 'string' ? [[k, campaign[k]]] : []))),
    fromQuery(page?.search),
    fromQuery(page?.url),
    fromQuery(properties.search),
    fromQuery(properties.url),
  ];
  const found = new Map<ClickIdKind, string>();
  for (const source of sources)
    for (const kind of CLICK_ID_KINDS) {
      const value = source[kind];
      if (!found.has(kind) && typeof value === 'string' && CLICK_ID.test(value)) found.set(kind, value);
    }
  return [...found].map(([kind, clickId]) => ({ kind, clickId }));
}
