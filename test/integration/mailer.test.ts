import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_LOCALES, t } from '../../domain/privacy-messages';
import { createMailer, type Mailer, MailSendError, messageIdFor, renderEmail } from '../../mail/mailer';
import { freePort, holdPort } from '../support/ports';
import { decodeEncodedWords, type SmtpHarness, startSmtpServer } from '../support/smtp';

const FROM = 'Meridian Privacy <privacy@meridian.test>';
const LINK = 'https://privacy.example.test/privacy/requests/req_01HZX/verify?token=t0k3n';

describe('the mailer, through a real SMTP server', () => {
  let smtp: SmtpHarness;
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = await startSmtpServer({ rejectRecipient: (address) => address.startsWith('gone') });
    mailer = createMailer({ smtpUrl: smtp.url, from: FROM });
  });
  afterAll(async () => {
    await mailer?.close();
    await smtp?.close();
  });

  it('delivers a Japanese verification email with its subject, code and link intact', async () => {
    const email = renderEmail('ja', 'verification', {
      requestId: 'req_01HZX',
      code: '482913',
      link: LINK,
      minutes: 15,
      type: 'deletion',
    });
    const sent = await mailer.send({ to: 'hanako@example.jp', ...email, idempotencyKey: 'req_01HZX:verification:1' });

    const mail = await smtp.waitFor((m) => m.messageId === sent.messageId, 10_000);
    // The subject crossed the wire as RFC 2047 encoded-words and decodes to the Japanese text.
    expect(mail.raw).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/im);
    expect(mail.subject).toBe('個人情報に関するリクエストの確認');
    expect(mail.to).toEqual(['hanako@example.jp']);
    expect(mail.envelope).toEqual({ from: 'privacy@meridian.test', to: ['hanako@example.jp'] });
    expect(mail.text.split('\n')).toContain('482913');
    expect(mail.text).toContain(LINK);
    expect(mail.text).toContain('コードとリンクの有効期限は15分です。');
    expect(mail.text).toContain('リクエスト内容：個人情報の削除');
    expect(mail.text).toContain('受付番号：req_01HZX');
    expect(mail.html).toContain('<html lang="ja" dir="ltr">');
    expect(mail.html).toContain('>482913</span>');
    expect(mail.html).toContain(`href="${LINK}"`);
  });

  it('derives the Message-ID from the idempotency key, so a retried send is the same message', async () => {
    const key = 'req_01HZX:received';
    const expected = `<${createHash('sha256').update(key).digest('hex')}@meridian.local>`;
    expect(messageIdFor(key)).toBe(expected);

    const email = renderEmail('de', 'received', {
      requestId: 'req_01HZX',
      link: 'https://privacy.example.test/privacy/requests/req_01HZX',
      dueDate: '2025-04-09',
    });
    const first = await mailer.send({ to: 'max@example.de', ...email, idempotencyKey: key });
    const retry = await mailer.send({ to: 'max@example.de', ...email, idempotencyKey: key });
    const other = await mailer.send({ to: 'max@example.de', ...email, idempotencyKey: 'req_01HZX:completed' });
    expect(first.messageId).toBe(expected);
    expect(retry.messageId).toBe(expected);
    expect(other.messageId).not.toBe(expected);

    await smtp.waitFor((m) => m.messageId === other.messageId, 10_000);
    const received = smtp.messages.filter((m) => m.to.includes('max@example.de'));
    expect(received.map((m) => m.messageId)).toEqual([expected, expected, other.messageId]);
    expect(received[0]!.subject).toBe('Wir bearbeiten Ihre Datenschutzanfrage');
    expect(received[0]!.text).toContain('Wir antworten Ihnen bis zum 9. April 2025.');
  });

  it('delivers every locale’s subject readably, right-to-left Arabic and long Thai included', async () => {
    for (const locale of SUPPORTED_LOCALES) {
      const email = renderEmail(locale, 'completed', {
        requestId: `req_${locale}`,
        type: 'access',
        exportUrl: 'https://privacy.example.test/exports/x',
        exportExpiresAt: '2025-04-20T12:00:00Z',
      });
      await mailer.send({
        to: `${locale.toLowerCase()}@example.test`,
        ...email,
        idempotencyKey: `req_${locale}:completed`,
      });
      const mail = await smtp.waitFor((m) => m.to.includes(`${locale.toLowerCase()}@example.test`), 10_000);
      expect(mail.subject, locale).toBe(t(locale, 'email.completed.subject'));
      expect(mail.text, locale).toContain(t(locale, 'email.completed.intro', { type: 'access' }));
      expect(mail.text, locale).toContain('https://privacy.example.test/exports/x');
      expect(mail.html, locale).toContain(`dir="${locale === 'ar' ? 'rtl' : 'ltr'}"`);
    }
  });

  it('fails a refused recipient for good, without the address in the error', async () => {
    const email = renderEmail('en', 'cancelled', { requestId: 'req_1' });
    const error = await mailer
      .send({ to: 'gone.person@example.test', ...email, idempotencyKey: 'req_1:cancelled' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailSendError);
    expect((error as MailSendError).retryable).toBe(false);
    expect((error as MailSendError).responseCode).toBe(550);
    expect((error as Error).message).toMatch(/550/);
    expect((error as Error).message).not.toContain('gone.person');
    expect(JSON.stringify(error)).not.toContain('gone.person');
  });

  it('fails an unreachable server as retryable', async () => {
    const nowhere = createMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: FROM });
    const error = await nowhere
      .send({ to: 'a@example.test', subject: 's', text: 't', html: '<p>t</p>', idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    await nowhere.close();
    expect(error).toBeInstanceOf(MailSendError);
    expect((error as MailSendError).retryable).toBe(true);
    expect((error as Error).message).not.toContain('a@example.test');
  });

  it('gives up on a server that accepts the connection but never greets, within the timeout (not nodemailer’s minutes)', async () => {
    const silent = await holdPort();
    const port = (silent.address() as { port: number }).port;
    const slow = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, timeoutMs: 300 });
    const started = Date.now();
    const error = await slow
      .send({ to: 'b@example.test', subject: 's', text: 't', html: '<p>t</p>', idempotencyKey: 'k2' })
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    await slow.close();
    await new Promise((resolve) => silent.close(resolve));
    expect(error).toBeInstanceOf(MailSendError);
    expect((error as MailSendError).retryable).toBe(true);
    expect((error as MailSendError).code).toBe('ETIMEDOUT');
    expect(took).toBeLessThan(3_000);
  });
});

describe('the SMTP harness decoding', () => {
  it('joins adjacent encoded-words, even when a character is split between them', () => {
    const bytes = Buffer.from('確認', 'utf8');
    const split = `=?UTF-8?B?${bytes.subarray(0, 4).toString('base64')}?=\r\n =?UTF-8?B?${bytes.subarray(4).toString('base64')}?=`;
    expect(decodeEncodedWords(split.replace(/\r\n/g, ''))).toBe('確認');
    expect(decodeEncodedWords('=?UTF-8?Q?caf=C3=A9_cr=C3=A8me?= and plain')).toBe('café crème and plain');
  });
});

describe('the pooled mailer (campaign sending: prebuilt MIME over kept-open connections)', () => {
  /** A server and a pooled mailer to it for one test, both closed after it. */
  async function withPool(
    server: Parameters<typeof startSmtpServer>[0],
    poolSize: number,
    body: (smtp: SmtpHarness, mailer: Mailer) => Promise<void>,
  ): Promise<void> {
    const smtp = await startSmtpServer(server);
    const mailer = createMailer({ smtpUrl: smtp.url, from: FROM, pool: true, poolSize });
    try {
      await body(smtp, mailer);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  }
  const unsubscribe = (n: number) => ({
    'List-Unsubscribe': `<https://privacy.example.test/privacy/unsubscribe/c${n}?region=eu&brand=default&channel=email&sig=s${n}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  });
  const content = {
    subject: 'โปรโมชั่นฤดูใบไม้ผลิ — 春季促销 — عرض الربيع',
    text: 'สวัสดีครับ คอลเลกชันใหม่มาแล้ว',
    html: '<p>Our spring collection — <b>ลด 10%</b></p>',
  };

  it('delivers many messages over a few connections, each with its own To, Message-ID and one-click link', async () => {
    const smtp = await startSmtpServer();
    const mailer = createMailer({
      smtpUrl: smtp.url,
      from: 'ร้านค้า Meridian <news@meridian.test>',
      pool: true,
      poolSize: 3,
    });
    try {
      const sent = await Promise.all(
        Array.from({ length: 30 }, (_, n) =>
          mailer.send({ to: `p${n}@example.test`, ...content, idempotencyKey: `send:b:${n}`, headers: unsubscribe(n) }),
        ),
      );
      await smtp.waitFor((m) => m.to.includes('p29@example.test'));
      await new Promise((r) => setTimeout(r, 100));
      expect(smtp.messages).toHaveLength(30);
      expect(smtp.connections()).toBeLessThanOrEqual(3);
      for (let n = 0; n < 30; n++) {
        const mail = smtp.messages.find((m) => m.to.includes(`p${n}@example.test`))!;
        expect(mail.envelope).toEqual({ from: 'news@meridian.test', to: [`p${n}@example.test`] });
        expect(mail.messageId).toBe(messageIdFor(`send:b:${n}`));
        expect(mail.messageId).toBe(sent[n]!.messageId);
        expect(mail.headers['list-unsubscribe']).toBe(unsubscribe(n)['List-Unsubscribe']);
        expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
        expect(mail.headers.from).toBe('ร้านค้า Meridian <news@meridian.test>');
        expect(mail.subject).toBe(content.subject);
        expect(mail.text).toBe(content.text);
        expect(mail.html).toBe(content.html);
      }
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  it('keeps the connection after a refused recipient (RSET) and sends the next message on it', async () => {
    await withPool({ rejectRecipient: (a) => a.startsWith('gone') }, 1, async (smtp, mailer) => {
      await mailer.send({ to: 'first@example.test', ...content, idempotencyKey: 'k1' });
      const error = await mailer
        .send({ to: 'gone@example.test', ...content, idempotencyKey: 'k2' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MailSendError);
      expect((error as MailSendError).retryable).toBe(false);
      expect((error as Error).message).not.toContain('gone@');
      await mailer.send({ to: 'after@example.test', ...content, idempotencyKey: 'k3' });
      await smtp.waitFor((m) => m.to.includes('after@example.test'));
      expect(smtp.connections()).toBe(1);
    });
  });

  it('opens a new connection when the server closed an idle one, without failing the message', async () => {
    await withPool({ idleTimeoutMs: 200 }, 1, async (smtp, mailer) => {
      await mailer.send({ to: 'before@example.test', ...content, idempotencyKey: 'i1' });
      await new Promise((r) => setTimeout(r, 700));
      await mailer.send({ to: 'later@example.test', ...content, idempotencyKey: 'i2' });
      await smtp.waitFor((m) => m.to.includes('later@example.test'));
      expect(smtp.connections()).toBe(2);
    });
  });

  it('fails as retryable when the server has gone, and sends again once it is back', async () => {
    const port = await freePort();
    const mailer = createMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: FROM,
      pool: true,
      poolSize: 2,
      timeoutMs: 1000,
    });
    try {
      const error = await mailer
        .send({ to: 'x@example.test', ...content, idempotencyKey: 'g1' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MailSendError);
      expect((error as MailSendError).retryable).toBe(true);
      const smtp = await startSmtpServer();
      const mailer2 = createMailer({ smtpUrl: smtp.url, from: FROM, pool: true, poolSize: 2 });
      await mailer2.send({ to: 'y@example.test', ...content, idempotencyKey: 'g2' });
      await smtp.close();
      // The server went away between two messages of an open pool: the next one fails retryably.
      const lost = await mailer2
        .send({ to: 'z@example.test', ...content, idempotencyKey: 'g3' })
        .catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(MailSendError);
      expect((lost as MailSendError).retryable).toBe(true);
      await mailer2.close();
    } finally {
      await mailer.close();
    }
  });

  it('gives a retried send the same Message-ID', async () => {
    await withPool({}, 5, async (smtp, mailer) => {
      const first = await mailer.send({ to: 'r@example.test', ...content, idempotencyKey: 'send:broadcast:b9:c9' });
      const retry = await mailer.send({ to: 'r@example.test', ...content, idempotencyKey: 'send:broadcast:b9:c9' });
      expect(retry.messageId).toBe(first.messageId);
      await smtp.waitFor((m) => m.messageId === first.messageId && smtp.messages.length === 2);
      expect(smtp.messages.map((m) => m.messageId)).toEqual([first.messageId, first.messageId]);
    });
  });
});
