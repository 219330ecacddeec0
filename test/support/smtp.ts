import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 for tests (the `smtp-server` package, no auth, no TLS) that keeps
 * what it receives, decoded enough to assert on: RFC 2047 subjects, quoted-printable and base64
 * bodies, multipart/alternative (the text/plain and text/html parts), any charset TextDecoder knows.
 */

export interface ReceivedMail {
  /** SMTP envelope: MAIL FROM and RCPT TO, exactly as sent. */
  envelope: { from: string; to: string[] };
  /** Header fields by lower-case name, unfolded, encoded-words decoded; repeated fields joined with ", ". */
  headers: Record<string, string>;
  subject: string;
  /** Addresses in the To header. */
  to: string[];
  /** The Message-ID header, with its angle brackets. */
  messageId: string;
  /** The text/plain body, decoded, with \n line ends. */
  text: string;
  /** The text/html body, decoded, when there is one. */
  html?: string;
  raw: string;
}

export interface SmtpHarness {
  /** smtp://127.0.0.1:PORT, for nodemailer.createTransport. */
  url: string;
  port: number;
  /** Everything received so far, oldest first. */
  messages: ReceivedMail[];
  /** SMTP connections accepted so far. */
  connections(): number;
  /** The first message (already received or still to come) matching `predicate`. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  /** Refuse these recipients at RCPT TO with a 550 that quotes the address, as real servers do. */
  rejectRecipient?: (address: string) => boolean;
  /** Close a connection idle this long (smtp-server's socketTimeout; its default is a minute). */
  idleTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function decodeBytes(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder((charset ?? 'utf-8').trim() || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function decodeQuotedPrintable(body: string): Buffer {
  const soft = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    const hex = c === '=' ? soft.slice(i + 1, i + 3) : '';
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: `=?UTF-8?Q?…?=` and `=?UTF-8?B?…?=`; adjacent words are joined (bytes first, so split characters survive). */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (pending) out += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (const match of value.matchAll(word)) {
    const between = value.slice(last, match.index);
    // Whitespace between two encoded words is folding, not content.
    if (!(pending && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const charset = match[1]!.split('*')[0]!.toLowerCase();
    const text = match[3]!;
    const bytes =
      match[2]!.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text.replace(/_/g, ' '));
    if (pending && pending.charset !== charset) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(bytes);
    last = match.index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}

interface Part {
  headers: Record<string, string>;
  body: string; // latin1: one char per byte
}

function splitPart(raw: string): Part {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    // Header bytes may be raw UTF-8 (SMTPUTF8); encoded-words are decoded after.
    const value = decodeEncodedWords(decodeBytes(Buffer.from(line.slice(colon + 1).trim(), 'latin1'), 'utf-8'));
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { headers, body };
}

function contentType(headers: Record<string, string>): { type: string; params: Record<string, string> } {
  const [type = 'text/plain', ...rest] = (headers['content-type'] ?? 'text/plain').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0)
      params[p.slice(0, eq).trim().toLowerCase()] = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

function decodeBody(part: Part): string {
  const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').trim().toLowerCase();
  const bytes =
    encoding === 'base64'
      ? Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(part.body)
        : Buffer.from(part.body, 'latin1');
  return decodeBytes(bytes, contentType(part.headers).params.charset).replace(/\r\n/g, '\n');
}

/** The text/plain and text/html bodies of a part, looking inside multiparts; attachments are skipped. */
function bodies(part: Part, found: { text?: string; html?: string } = {}): { text?: string; html?: string } {
  const { type, params } = contentType(part.headers);
  if (type.startsWith('multipart/') && params.boundary) {
    const delimiter = `\r\n--${params.boundary}`;
    const segments = `\r\n${part.body}`.split(delimiter).slice(1);
    for (const segment of segments) {
      if (segment.startsWith('--')) break;
      bodies(splitPart(segment.slice(segment.indexOf('\r\n') + 2)), found);
    }
    return found;
  }
  if (/^\s*attachment/i.test(part.headers['content-disposition'] ?? '')) return found;
  if (type === 'text/plain' && found.text === undefined) found.text = decodeBody(part);
  if (type === 'text/html' && found.html === undefined) found.html = decodeBody(part);
  return found;
}

function addresses(header: string | undefined): string[] {
  if (!header) return [];
  return (header.match(/(?:[^,"]|"[^"]*")+/g) ?? [])
    .map((entry) => /<([^<>]+)>\s*$/.exec(entry)?.[1] ?? entry)
    .map((a) => a.trim())
    .filter(Boolean);
}

/** A raw RFC 5322 message, as far as tests need it. */
export function parseMail(raw: Buffer, envelope: ReceivedMail['envelope'] = { from: '', to: [] }): ReceivedMail {
  const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  const top = splitPart(text);
  const found = bodies(top);
  return {
    envelope,
    headers: top.headers,
    subject: top.headers.subject ?? '',
    to: addresses(top.headers.to),
    messageId: top.headers['message-id'] ?? '',
    text: found.text ?? '',
    ...(found.html !== undefined ? { html: found.html } : {}),
    raw: decodeBytes(raw, 'utf-8'),
  };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

function envelopeOf(session: SMTPServerSession): ReceivedMail['envelope'] {
  const from = session.envelope.mailFrom;
  return { from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address) };
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpHarness> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<(mail: ReceivedMail) => void>();
  let connections = 0;

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    banner: 'Meridian test SMTP',
    closeTimeout: 1_000,
    ...(options.idleTimeoutMs ? { socketTimeout: options.idleTimeoutMs } : {}),
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        const refusal = Object.assign(new Error(`<${address.address}>: Recipient address rejected: user unknown`), {
          responseCode: 550,
        });
        return callback(refusal);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        let mail: ReceivedMail;
        try {
          mail = parseMail(Buffer.concat(chunks), envelopeOf(session));
        } catch (error) {
          return callback(error as Error);
        }
        messages.push(mail);
        for (const waiter of [...waiters]) waiter(mail);
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client that misbehaves should fail its test, not crash the process.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    connections: () => connections,
    waitFor(predicate, timeoutMs = 10_000) {
      const already = messages.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise<ReceivedMail>((resolve, reject) => {
        const waiter = (mail: ReceivedMail) => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching email within ${timeoutMs} ms (${messages.length} received, none matched)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
