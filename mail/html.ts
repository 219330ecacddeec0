import { type Locale, type MessageKey, type MessageValues, t } from '../domain/privacy-messages';

/**
 * Localised messages as HTML, for the emails and the privacy portal's pages alike: text escaped,
 * opaque values (request IDs, addresses) isolated in <bdi> so they read correctly inside
 * right-to-left text.
 */

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values alike: & < > " ' become entities. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A value to show as an isolated run of text (<bdi>): opaque IDs and names keep their own direction. */
export class Isolated {
  constructor(readonly value: string) {}
}
export const isolate = (value: string) => new Isolated(value);

// Private-use markers stand in for isolated values while the message is formatted and escaped.
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
const MARKED = new RegExp(`${MARK_OPEN}(\\d+)${MARK_CLOSE}`, 'g');

/** A message as HTML: the text escaped, isolated values wrapped in <bdi>. */
export function messageAsHtml(
  locale: Locale,
  key: MessageKey,
  values: Record<string, string | number | Isolated> = {},
): string {
  const plain: MessageValues = {};
  const isolated: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value instanceof Isolated) {
      plain[name] = `${MARK_OPEN}${isolated.length}${MARK_CLOSE}`;
      isolated.push(value.value);
    } else {
      plain[name] = value;
    }
  }
  return escapeHtml(t(locale, key, plain)).replace(
    MARKED,
    (_, index: string) => `<bdi>${escapeHtml(isolated[Number(index)] ?? '')}</bdi>`,
  );
}

/**
 * A message as HTML for other renderers (the emails): escaped, with the values named in `isolated`
 * (request IDs, addresses) wrapped in <bdi>.
 */
export function htmlMessage(
  locale: Locale,
  key: MessageKey,
  values: MessageValues = {},
  isolated: readonly string[] = [],
): string {
  return messageAsHtml(
    locale,
    key,
    Object.fromEntries(
      Object.entries(values).map(([name, v]) => [name, isolated.includes(name) ? isolate(String(v)) : v]),
    ),
  );
}
