/**
 * How many SMS segments a text costs: the GSM-7 alphabet (3GPP TS 23.038) packs 160 characters in
 * one message and 153 per part of a longer one (the rest of each part is the concatenation header);
 * a character of the extension table (€, [, ], {, }, \, ^, ~, |, form feed) costs two. Any character
 * outside GSM-7 (Thai, Chinese, Arabic, most emoji) moves the whole text to UCS-2: 70 UTF-16 units in
 * one message, 67 per part. A character is never split across parts (an escape pair, a surrogate pair).
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(GSM7_BASIC);
const extension = new Set(GSM7_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
}

export function smsEncodingOf(text: string): SmsEncoding {
  for (const ch of text) if (!basic.has(ch) && !extension.has(ch)) return 'UCS-2';
  return 'GSM-7';
}

export function countSmsSegments(text: string): SmsSegments {
  const encoding = smsEncodingOf(text);
  const single = encoding === 'GSM-7' ? 160 : 70;
  const perPart = encoding === 'GSM-7' ? 153 : 67;
  // Iterating a string yields code points: a surrogate pair is one character of 2 units.
  const costs = [...text].map((ch) => (encoding === 'GSM-7' ? (extension.has(ch) ? 2 : 1) : ch.length));
  const units = costs.reduce((a, b) => a + b, 0);
  if (units === 0) return { encoding, segments: 0, units };
  if (units <= single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > perPart) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, segments, units };
}
