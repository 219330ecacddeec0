import { createHash } from 'node:crypto';
import {
  formatDate,
  formatDateTime,
  type Locale,
  type MessageKey,
  type MessageValues,
  negotiateLocale,
  type RequestType,
  requestTypeKey,
  t,
  textDirection,
} from '../domain/privacy-messages';
import { escapeHtml, htmlMessage } from './html';
import { createMimeComposer } from './mime';
import { createSmtpPool } from './smtp-pool';

/**
 * Email over SMTP (nodemailer's encoders and SMTP connection, messages prebuilt: mail/mime.ts), and the privacy emails rendered from domain/privacy-messages.
 *
 * A send is keyed: the Message-ID is derived from the caller's idempotency key, so an activity
 * retried after a crash sends a message that receivers (and our tests) recognise as the same one.
 * Nothing here logs, and errors never carry an address: SMTP replies often quote the recipient, so
 * they are redacted before they reach an activity failure or a workflow history.
 */

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A natural key for this message (request ID + kind, say); the same key gives the same Message-ID. */
  idempotencyKey: string;
  /** Extra header fields, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) on marketing email. */
  headers?: Record<string, string>;
}

export interface Mailer {
  send(message: OutgoingMail): Promise<{ messageId: string }>;
  close(): Promise<void>;
}

export interface MailerConfig {
  /** smtp://host:port or smtps://user:pass@host:port (nodemailer's connection URL). */
  smtpUrl: string;
  /** The From header, e.g. "Example Privacy <privacy@example.com>". */
  from: string;
  /**
   * Milliseconds the server has to accept the connection, to greet, and to answer each command
   * (nodemailer's defaults allow up to 10 minutes, far too long for a web request waiting on it).
   */
  timeoutMs?: number;
  /** Keep a few SMTP connections open and reuse them (campaign sending); off for the occasional privacy email. */
  pool?: boolean;
  /** Connections of the pool (default 5). */
  poolSize?: number;
}

/** The timeout when none is configured: a portal request waits at most about this long per step. */
export const DEFAULT_SMTP_TIMEOUT_MS = 10_000;

/** The Message-ID for an idempotency key: `<sha256(key)@meridian.local>`. */
export function messageIdFor(idempotencyKey: string): string {
  return `<${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}@meridian.local>`;
}

/**
 * A send that failed. `retryable` is false when the server refused for good (a 5xx reply, bad
 * credentials, a malformed message): retrying cannot help, so an activity should fail for good too.
 */
export class MailSendError extends Error {
  override name = 'MailSendError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code?: string,
    readonly responseCode?: number,
  ) {
    super(message);
  }
}

const ADDRESS = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;

/** The text with anything shaped like an email address replaced. */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS, '[address]');
}

function toSendError(error: unknown): MailSendError {
  const e = (error ?? {}) as { message?: unknown; code?: unknown; responseCode?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const permanent = (responseCode !== undefined && responseCode >= 500) || code === 'EAUTH' || code === 'EMESSAGE';
  // ETIMEDOUT, ECONNECTION, ESOCKET, EDNS …: the server is slow or down; retryable.
  const detail = redactAddresses(String(e.message ?? 'unknown error')).split('\n')[0];
  const what = [code, responseCode].filter((v) => v !== undefined).join(' ');
  const advice = permanent ? 'the server refused it; check the SMTP settings and the address' : 'will be retried';
  // No `cause`: the original error holds the envelope and the server's reply, addresses included.
  return new MailSendError(
    `email not sent${what ? ` (${what})` : ''}: ${detail}; ${advice}`,
    !permanent,
    code,
    responseCode,
  );
}

export function createMailer(config: MailerConfig): Mailer {
  const timeoutMs = config.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  // Each message's MIME built once per distinct content and sent prebuilt (mail/mime.ts, mail/smtp-pool.ts):
  // nodemailer's sendMail rebuilt it through streams per message, about half the worker's CPU in a broadcast.
  const composer = createMimeComposer();
  const pool = createSmtpPool({
    url: config.smtpUrl,
    timeoutMs,
    // Pooled: a few connections, each carrying many messages (nodemailer's default is 100). Not pooled
    // (the occasional privacy email): a connection per message, closed after it.
    connections: config.pool ? (config.poolSize ?? 5) : 5,
    maxMessages: config.pool ? 10_000 : 1,
  });
  return {
    async send(message) {
      if (!message.idempotencyKey)
        throw new Error(
          'email not sent: give an idempotencyKey (e.g. "<requestId>:verification") so a retry is recognisable',
        );
      const messageId = messageIdFor(message.idempotencyKey);
      try {
        const { envelope, raw } = await composer.compose({
          from: config.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId,
          date: new Date(),
          ...(message.headers ? { headers: message.headers } : {}),
        });
        await pool.send(envelope, raw);
      } catch (error) {
        throw toSendError(error);
      }
      return { messageId };
    },
    async close() {
      pool.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The privacy emails
// ---------------------------------------------------------------------------------------------

export type EmailKind = 'verification' | 'received' | 'completed' | 'cancelled' | 'statusLink';

/**
 * What each email needs. `link` is the confirmation link in the verification email and the status
 * page in the others. `type` is optional: when absent the email speaks of "your privacy request".
 */
export interface EmailValues {
  verification: { requestId: string; code: string; link: string; minutes: number; type?: RequestType };
  received: { requestId: string; link?: string; type?: RequestType /** YYYY-MM-DD */; dueDate?: string };
  completed: {
    requestId: string;
    link?: string;
    type?: RequestType;
    certificateUrl?: string;
    exportUrl?: string;
    exportExpiresAt?: string | Date;
    /** IANA zone for the export link's expiry time; UTC when absent. */
    timeZone?: string;
  };
  cancelled: { requestId: string; link?: string; type?: RequestType };
  /** A fresh status link, asked for by the requester after the last one expired. */
  statusLink: { requestId: string; link: string; expiresAt: string | Date; timeZone?: string };
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

type Block =
  | { kind: 'p'; key: MessageKey; values?: MessageValues; isolated?: string[] }
  | { kind: 'code'; code: string }
  | { kind: 'link'; key: MessageKey; url: string };

function checkedUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} "${url}" is not an absolute URL: build it from the portal's public URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error(`${what} must be an http(s) URL, not ${parsed.protocol}`);
  return parsed.href;
}

function blocksFor<K extends EmailKind>(
  locale: Locale,
  kind: K,
  values: EmailValues[K],
): { subject: MessageKey; blocks: Block[] } {
  const typeLine = (type: RequestType | undefined): Block[] =>
    type ? [{ kind: 'p', key: 'email.requestType', values: { typeName: t(locale, requestTypeKey(type)) } }] : [];
  const statusLink = (link: string | undefined): Block[] =>
    link ? [{ kind: 'link', key: 'email.statusLink', url: checkedUrl(link, 'the status link') }] : [];

  switch (kind) {
    case 'verification': {
      const v = values as EmailValues['verification'];
      if (!/^\d{6}$/.test(v.code)) throw new Error('the verification code must be 6 digits');
      if (!Number.isInteger(v.minutes) || v.minutes <= 0)
        throw new Error(`the code's lifetime must be a whole number of minutes, not ${v.minutes}`);
      return {
        subject: 'email.verification.subject',
        blocks: [
          { kind: 'p', key: 'email.verification.intro' },
          { kind: 'code', code: v.code },
          { kind: 'link', key: 'email.verification.link', url: checkedUrl(v.link, 'the confirmation link') },
          { kind: 'p', key: 'email.verification.expiry', values: { minutes: v.minutes } },
          ...typeLine(v.type),
          { kind: 'p', key: 'email.verification.ignore' },
        ],
      };
    }
    case 'received': {
      const v = values as EmailValues['received'];
      return {
        subject: 'email.received.subject',
        blocks: [
          { kind: 'p', key: 'email.received.body' },
          ...typeLine(v.type),
          ...(v.dueDate
            ? [{ kind: 'p', key: 'status.deadline', values: { date: formatDate(locale, v.dueDate) } } as Block]
            : []),
          ...statusLink(v.link),
        ],
      };
    }
    case 'completed': {
      const v = values as EmailValues['completed'];
      const blocks: Block[] = [{ kind: 'p', key: 'email.completed.intro', values: { type: v.type ?? 'other' } }];
      if (v.certificateUrl)
        blocks.push({
          kind: 'link',
          key: 'email.completed.certificate',
          url: checkedUrl(v.certificateUrl, 'the certificate link'),
        });
      if (v.exportUrl) {
        blocks.push({ kind: 'link', key: 'email.completed.export', url: checkedUrl(v.exportUrl, 'the export link') });
        if (v.exportExpiresAt) {
          blocks.push({
            kind: 'p',
            key: 'email.completed.exportExpiry',
            values: { date: formatDateTime(locale, v.exportExpiresAt, v.timeZone ?? 'UTC') },
          });
        }
      }
      return { subject: 'email.completed.subject', blocks: [...blocks, ...statusLink(v.link)] };
    }
    case 'cancelled': {
      const v = values as EmailValues['cancelled'];
      return {
        subject: 'email.cancelled.subject',
        blocks: [{ kind: 'p', key: 'email.cancelled.body' }, ...typeLine(v.type), ...statusLink(v.link)],
      };
    }
    case 'statusLink': {
      const v = values as EmailValues['statusLink'];
      return {
        subject: 'email.statusLink.subject',
        blocks: [
          {
            kind: 'p',
            key: 'email.statusLink.body',
            values: { date: formatDateTime(locale, v.expiresAt, v.timeZone ?? 'UTC') },
          },
          { kind: 'link', key: 'email.statusLink', url: checkedUrl(v.link, 'the status link') },
        ],
      };
    }
    default:
      throw new Error(`no email "${String(kind)}": use verification, received, completed, cancelled or statusLink`);
  }
}

const STYLE = {
  body: 'margin:0;padding:24px 16px;background:#ffffff;color:#1b1f24;font-family:system-ui,-apple-system,"Segoe UI","Noto Sans",sans-serif;font-size:16px;line-height:1.6;',
  main: 'max-width:560px;margin:0 auto;',
  code: 'font-family:ui-monospace,Menlo,Consolas,monospace;font-size:28px;font-weight:700;letter-spacing:6px;margin:24px 0;',
  footer: 'color:#57606a;font-size:13px;border-top:1px solid #d0d7de;padding-top:12px;margin-top:32px;',
};

/**
 * The subject, plain text and HTML of a privacy email in `locale` (a supported locale, or any
 * BCP 47 tag, which is matched to the nearest one).
 */
export function renderEmail<K extends EmailKind>(
  locale: Locale | string,
  kind: K,
  values: EmailValues[K],
): RenderedEmail {
  const l = negotiateLocale(undefined, locale);
  const { subject: subjectKey, blocks } = blocksFor(l, kind, values);
  const subject = t(l, subjectKey);
  const footer = { requestId: values.requestId };

  const text = [
    t(l, 'email.greeting'),
    ...blocks.map((b) =>
      b.kind === 'code' ? b.code : b.kind === 'link' ? `${t(l, b.key)}\n${b.url}` : t(l, b.key, b.values),
    ),
    `-- \n${t(l, 'email.footer', footer)}`,
  ].join('\n\n');

  const dir = textDirection(l);
  const htmlBlocks = blocks.map((b) => {
    if (b.kind === 'code') return `<p style="${STYLE.code}"><span dir="ltr">${escapeHtml(b.code)}</span></p>`;
    if (b.kind === 'link')
      return `<p>${htmlMessage(l, b.key)}<br><a href="${escapeHtml(b.url)}" dir="ltr">${escapeHtml(b.url)}</a></p>`;
    return `<p>${htmlMessage(l, b.key, b.values)}</p>`;
  });
  const html = [
    '<!doctype html>',
    `<html lang="${l}" dir="${dir}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(subject)}</title></head>`,
    `<body dir="${dir}" style="${STYLE.body}">`,
    `<div lang="${l}" dir="${dir}" style="${STYLE.main}">`,
    `<p>${escapeHtml(t(l, 'email.greeting'))}</p>`,
    ...htmlBlocks,
    `<p style="${STYLE.footer}">${htmlMessage(l, 'email.footer', footer, ['requestId'])}</p>`,
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');

  return { subject, text, html };
}
