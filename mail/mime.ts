import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { encode as base64Encode, wrap as base64Wrap } from 'nodemailer/lib/base64';
import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';

/**
 * A message's MIME, built the cheap way for campaign sending (issue 12, broadcast delivery speed).
 *
 * nodemailer's `sendMail` builds every message through a tree of streams (profiled: about half of
 * the worker's CPU per message in a broadcast). Here the parts that are the same for many messages
 * are encoded once and kept: the From header, each distinct Subject, each distinct text + HTML body
 * (a broadcast's content variant, or a personalised body seen once). Per message only what differs
 * is written: To, Message-ID, Date and the extra headers (List-Unsubscribe, one per recipient).
 *
 * The encoding is nodemailer's own (its header encoder, RFC 2047 encoded-words of at most 75
 * characters for non-ASCII names and subjects, folded at 78; quoted-printable or base64 bodies
 * wrapped at 76), so the message reads as `sendMail`'s would. An address this path does not take
 * (a quoted or non-ASCII local part, needing SMTPUTF8) is composed by nodemailer's MailComposer.
 */

export interface MimeInput {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Absent or empty: a text/plain message. */
  html?: string;
  /** With its angle brackets. */
  messageId: string;
  date: Date;
  /** Extra header fields, in order (List-Unsubscribe, List-Unsubscribe-Post). */
  headers?: Record<string, string>;
}

export interface ComposedMessage {
  /** The SMTP envelope (addresses normalised as in the headers: an IDN domain in its A-label form). */
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

/** A message this composer refuses (a header that cannot be written): sending it again cannot help. */
export class MimeError extends Error {
  override name = 'MimeError';
  readonly code = 'EMESSAGE';
}

/** RFC 5322 2.1.1: a line is at most 998 characters before its CRLF. */
const MAX_LINE = 998;
const FOLD_AT = 78;
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
/** An addr-spec this path writes as is: a dot-atom local part, a domain of letters, digits, hyphens and dots. */
const SIMPLE_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const SIMPLE_DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const encoder = new MimeNode() as unknown as { encodeHeaderValue(key: string, value: string): string };

/** One header field, encoded (encoded-words for non-ASCII and control characters) and folded at 76. */
function headerField(name: string, value: string): string {
  if (!FIELD_NAME.test(name)) throw new MimeError(`header field name "${name}" is not a token`);
  // Printable ASCII is written as is (a URL stays one word); anything else goes through nodemailer's encoder,
  // which turns CR, LF and other controls into encoded-words: no header can be smuggled in.
  const encoded = PRINTABLE_ASCII.test(value) ? value : encoder.encodeHeaderValue(name, value);
  // Folded at spaces into lines of at most 78 characters (RFC 5322 2.1.1's SHOULD); a longer word (a URL)
  // makes a longer line, which must stay within 998.
  const words = `${name}: ${encoded}`.split(' ');
  const lines: string[] = [];
  let line = words[0]!;
  for (const word of words.slice(1)) {
    // A word that fits no line (a Message-ID, a URL) stays where it is rather than leaving a field name alone.
    if (line.length + 1 + word.length <= FOLD_AT || word.length + 1 > FOLD_AT) line += ` ${word}`;
    else {
      lines.push(line);
      line = ` ${word}`;
    }
  }
  lines.push(line);
  for (const l of lines)
    if (l.length > MAX_LINE) throw new MimeError(`header ${name} has a line longer than ${MAX_LINE} characters`);
  return lines.join('\r\n');
}

/** The address as written in the header and the envelope, or undefined when MailComposer must do it. */
function simpleAddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = address.slice(0, at);
  let domain = address.slice(at + 1);
  if (!SIMPLE_LOCAL.test(local)) return undefined;
  if (!SIMPLE_DOMAIN.test(domain)) {
    // An internationalised domain: its A-label form (punycode), as nodemailer writes it for an ASCII local part.
    const ascii = domainToASCII(domain);
    if (!ascii || !SIMPLE_DOMAIN.test(ascii)) return undefined;
    domain = ascii;
  }
  return `${local}@${domain}`;
}

function latinShare(value: string): { nonAscii: number; ascii: number } {
  let nonAscii = 0;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) nonAscii++;
  return { nonAscii, ascii: value.length - nonAscii };
}

/** A text part: UTF-8, quoted-printable when mostly ASCII (HTML, Latin scripts), else base64 (Thai, Chinese, Arabic). */
function textPart(type: 'text/plain' | 'text/html', content: string): string {
  const crlf = content.replace(/\r?\n|\r/g, '\r\n');
  const { nonAscii, ascii } = latinShare(crlf);
  const quoted = nonAscii < ascii;
  const body = quoted ? qpWrap(qpEncode(crlf), 76) : base64Wrap(base64Encode(Buffer.from(crlf, 'utf8')), 76);
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${quoted ? 'quoted-printable' : 'base64'}\r\n\r\n${body}`;
}

/**
 * The body with its Content-Type (and, single part, Content-Transfer-Encoding) header fields. The
 * boundary is derived from the content, and "=_" never occurs in quoted-printable or base64 output,
 * so it cannot occur in a part.
 */
function bodyOf(text: string, html: string | undefined): Buffer {
  if (!html) return Buffer.from(textPart('text/plain', text), 'utf8');
  const boundary = `=_mrd_${createHash('sha256').update(text).update('\0').update(html).digest('hex').slice(0, 32)}`;
  return Buffer.from(
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\n${textPart('text/plain', text)}\r\n` +
      `--${boundary}\r\n${textPart('text/html', html)}\r\n` +
      `--${boundary}--\r\n`,
    'utf8',
  );
}

/** RFC 5322 date-time in UTC, as nodemailer writes it. */
function dateField(date: Date): string {
  return `Date: ${date.toUTCString().replace(/GMT/, '+0000')}`;
}

/** A map that forgets its oldest entry past `size`. */
function bounded<V>(size: number) {
  const map = new Map<string, V>();
  return {
    get: (key: string) => map.get(key),
    set(key: string, value: V) {
      if (map.size >= size) map.delete(map.keys().next().value!);
      map.set(key, value);
    },
  };
}

/**
 * A composer keeping what it encoded: `bodies` distinct bodies (a broadcast's variants; a
 * personalised body is composed each time and pushes out the oldest) and the subjects and From
 * headers seen.
 */
export function createMimeComposer(options: { bodies?: number } = {}) {
  const bodies = bounded<Buffer>(options.bodies ?? 64);
  const fields = bounded<string>(256);
  const senders = new Map<string, { field: string; address: string }>();

  function cachedField(name: string, value: string): string {
    const key = `${name}\n${value}`;
    let field = fields.get(key);
    if (field === undefined) {
      field = headerField(name, value);
      fields.set(key, field);
    }
    return field;
  }

  function sender(from: string) {
    let known = senders.get(from);
    if (!known) {
      const envelope = new MailComposer({ from, to: 'probe@example.invalid' }).compile().getEnvelope();
      if (!envelope.from) throw new MimeError('the From address could not be read: give "Name <address@domain>"');
      known = { field: headerField('From', from), address: envelope.from };
      senders.set(from, known);
    }
    return known;
  }

  /** The message as nodemailer's MailComposer builds it (addresses this path does not take). */
  async function composeSlowly(input: MimeInput): Promise<ComposedMessage> {
    const node = new MailComposer({
      from: input.from,
      to: input.to,
      subject: input.subject,
      text: input.text,
      ...(input.html ? { html: input.html } : {}),
      messageId: input.messageId,
      date: input.date,
      ...(input.headers ? { headers: input.headers } : {}),
    }).compile();
    const envelope = node.getEnvelope();
    if (!envelope.from || envelope.to.length !== 1) throw new MimeError('the message needs one recipient address');
    return { envelope: { from: envelope.from, to: envelope.to }, raw: await node.build() };
  }

  return {
    async compose(input: MimeInput): Promise<ComposedMessage> {
      const to = simpleAddress(input.to);
      if (!to) return composeSlowly(input);
      const from = sender(input.from);
      const bodyKey = `${input.text}\0${input.html ?? ''}`;
      let body = bodies.get(bodyKey);
      if (!body) {
        body = bodyOf(input.text, input.html);
        bodies.set(bodyKey, body);
      }
      let head = `${from.field}\r\nTo: ${to}\r\n${cachedField('Subject', input.subject)}\r\n${headerField('Message-ID', input.messageId)}\r\n${dateField(input.date)}\r\nMIME-Version: 1.0\r\n`;
      for (const [name, value] of Object.entries(input.headers ?? {}))
        head += `${name === 'List-Unsubscribe-Post' ? cachedField(name, value) : headerField(name, value)}\r\n`;
      return { envelope: { from: from.address, to: [to] }, raw: Buffer.concat([Buffer.from(head, 'utf8'), body]) };
    },
  };
}
