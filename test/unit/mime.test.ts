import { describe, expect, it } from 'vitest';
import { createMimeComposer, type MimeInput, MimeError } from '../../mail/mime';
import { messageIdFor } from '../../mail/mailer';
import { parseMail } from '../support/smtp';

const FROM = 'ร้านค้าเมอริเดียน 子午线商店 <news@shop.example>';
const base = (over: Partial<MimeInput> = {}): MimeInput => ({
  from: FROM,
  to: 'somchai@example.co.th',
  subject: 'คอลเลกชันฤดูใบไม้ผลิมาแล้ว — 春季新品上市 — وصلت مجموعة الربيع',
  text: 'สวัสดีครับ\nคอลเลกชันใหม่ของเรามาแล้ว',
  html: '<p>Our spring collection, <b>Somchai</b> = 10% off</p>',
  messageId: messageIdFor('send:broadcast:b1:c1'),
  date: new Date('2026-12-07T10:00:00Z'),
  headers: {
    'List-Unsubscribe':
      '<https://privacy.example.test/privacy/unsubscribe/c1?region=eu&brand=default&channel=email&sig=abc>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  ...over,
});

function headerBlock(raw: Buffer): string[] {
  const text = raw.toString('utf8');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

describe('MIME composed once per content, per-recipient headers written per message', () => {
  it('gives each recipient their own To, Message-ID and one-click unsubscribe over the same body', async () => {
    const composer = createMimeComposer();
    const first = await composer.compose(base());
    const second = await composer.compose(
      base({
        to: 'mei@example.cn',
        messageId: messageIdFor('send:broadcast:b1:c2'),
        headers: {
          'List-Unsubscribe': '<https://privacy.example.test/privacy/unsubscribe/c2?sig=def>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      }),
    );
    const a = parseMail(first.raw);
    const b = parseMail(second.raw);
    expect(first.envelope).toEqual({ from: 'news@shop.example', to: ['somchai@example.co.th'] });
    expect(second.envelope).toEqual({ from: 'news@shop.example', to: ['mei@example.cn'] });
    expect(a.to).toEqual(['somchai@example.co.th']);
    expect(b.to).toEqual(['mei@example.cn']);
    expect(a.messageId).toBe(messageIdFor('send:broadcast:b1:c1'));
    expect(b.messageId).toBe(messageIdFor('send:broadcast:b1:c2'));
    expect(a.headers['list-unsubscribe']).toContain('/unsubscribe/c1?');
    expect(b.headers['list-unsubscribe']).toBe('<https://privacy.example.test/privacy/unsubscribe/c2?sig=def>');
    expect(a.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(b.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(a.headers['mime-version']).toBe('1.0');
    expect(a.headers.date).toBe('Mon, 07 Dec 2026 10:00:00 +0000');
    // The body after the headers is the same bytes for both (composed once).
    const body = (raw: Buffer) => raw.subarray(raw.indexOf('\r\nContent-Type:'));
    expect(body(first.raw).equals(body(second.raw))).toBe(true);
  });

  it('writes Thai, Chinese and Arabic names and subjects as encoded-words that decode back, lines within RFC 5322', async () => {
    const { raw } = await createMimeComposer().compose(base());
    const mail = parseMail(raw);
    expect(mail.subject).toBe(base().subject);
    expect(mail.headers.from).toBe('ร้านค้าเมอริเดียน 子午线商店 <news@shop.example>');
    const head = headerBlock(raw);
    expect(head.find((l) => l.startsWith('Subject:'))).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/);
    // No 8-bit byte in the header block; every header line within 78 characters but the one-word URL.
    expect(/[^\x00-\x7f]/.test(head.join(''))).toBe(false);
    for (const line of head.filter((l) => !/^(List-Unsubscribe|Message-ID):/.test(l)))
      expect(line.length, line).toBeLessThanOrEqual(78);
    for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    // Encoded-words are at most 75 characters (RFC 2047 2).
    for (const word of head.join('\r\n').match(/=\?[^?]+\?[BQ]\?[^?]*\?=/g) ?? [])
      expect(word.length).toBeLessThanOrEqual(75);
  });

  it('round-trips the bodies: Thai text as base64, mostly-ASCII HTML as quoted-printable, line ends as CRLF', async () => {
    const longLine = `<p>${'Spring sale, everything must go. '.repeat(20)}ลดราคา</p>`;
    const { raw } = await createMimeComposer().compose(base({ html: longLine }));
    const mail = parseMail(raw);
    expect(mail.text).toBe(base().text);
    expect(mail.html).toBe(longLine);
    const text = raw.toString('latin1');
    expect(text).toMatch(/Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64/);
    expect(text).toMatch(/Content-Type: text\/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable/);
    expect(text).toMatch(/^Content-Type: multipart\/alternative;\r\n boundary="=_mrd_[0-9a-f]{32}"\r$/m);
    // Bare \n in the template's text is sent as CRLF (no lone LF on the wire).
    expect(/[^\r]\n/.test(text)).toBe(false);
  });

  it('sends a text-only message as one text/plain part', async () => {
    const { raw } = await createMimeComposer().compose(base({ html: '', text: 'Plain words only' }));
    const mail = parseMail(raw);
    expect(mail.text).toBe('Plain words only');
    expect(mail.html).toBeUndefined();
    expect(raw.toString('latin1')).not.toContain('multipart');
  });

  it('keeps a body that spells the boundary apart from it (quoted-printable escapes "=")', async () => {
    const composer = createMimeComposer();
    const probe = await composer.compose(base());
    const boundary = /boundary="([^"]+)"/.exec(probe.raw.toString('latin1'))![1]!;
    const tricky = `before\n--${boundary}\nContent-Type: text/html\n\n<p>smuggled</p>\n--${boundary}--\nafter`;
    const { raw } = await composer.compose(base({ text: tricky }));
    const mail = parseMail(raw);
    expect(mail.text).toBe(tricky);
    expect(mail.html).toBe(base().html);
  });

  it('encodes a header value holding CR/LF instead of letting it start another header', async () => {
    const { raw } = await createMimeComposer().compose(
      base({ subject: 'Sale\r\nBcc: everyone@example.com', headers: { 'X-Campaign': 'spring\r\nBcc: x@example.com' } }),
    );
    const mail = parseMail(raw);
    expect(mail.headers.bcc).toBeUndefined();
    expect(headerBlock(raw).some((l) => /^bcc:/i.test(l))).toBe(false);
    await expect(createMimeComposer().compose(base({ headers: { 'Bad Name': 'x' } }))).rejects.toBeInstanceOf(
      MimeError,
    );
  });

  it('refuses a header line RFC 5322 does not allow (over 998 characters) as a message error', async () => {
    const error = await createMimeComposer()
      .compose(base({ headers: { 'List-Unsubscribe': `<https://example.test/${'x'.repeat(1000)}>` } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MimeError);
    expect((error as MimeError).code).toBe('EMESSAGE');
  });

  it('writes an internationalised domain in its A-label form, header and envelope alike', async () => {
    const { raw, envelope } = await createMimeComposer().compose(base({ to: 'anna@bücher.example' }));
    expect(envelope.to).toEqual(['anna@xn--bcher-kva.example']);
    expect(parseMail(raw).to).toEqual(['anna@xn--bcher-kva.example']);
  });

  it('leaves an address it does not write itself (a quoted local part) to nodemailer, with the same headers', async () => {
    const { raw, envelope } = await createMimeComposer().compose(base({ to: '"john doe"@example.com' }));
    expect(envelope.to).toEqual(['"john doe"@example.com']);
    const mail = parseMail(raw);
    expect(mail.subject).toBe(base().subject);
    expect(mail.messageId).toBe(base().messageId);
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(mail.text).toBe(base().text);
  });

  it('gives a retried send the same bytes but its Date: the Message-ID comes from the send key', async () => {
    const composer = createMimeComposer();
    const first = await composer.compose(base());
    const retry = await createMimeComposer().compose(base({ date: new Date('2026-12-07T10:01:00Z') }));
    const strip = (raw: Buffer) => raw.toString('latin1').replace(/^Date: .*$/m, '');
    expect(strip(retry.raw)).toBe(strip(first.raw));
    expect(parseMail(retry.raw).messageId).toBe(messageIdFor('send:broadcast:b1:c1'));
  });
});
