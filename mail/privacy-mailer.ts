import type { MeridianConfig } from '../domain/config';
import { statusToken } from '../domain/privacy-links';
import { createMailer, renderEmail } from './mailer';

/**
 * The privacy emails, localised: the verification code for a new request (from the web server)
 * and the notices of the saga (from the requester's region worker). One Message-ID per request
 * and kind, so a retried send is recognisable as the same message.
 */

/** How the portal sends a requester their verification code. */
export interface PortalMailer {
  sendVerification(input: {
    to: string;
    locale: string;
    requestId: string;
    code: string;
    link: string;
    expiresInMinutes: number;
  }): Promise<void>;
  /** A new status link, sent only to the address the request was filed with. */
  sendStatusLink(input: {
    to: string;
    locale: string;
    requestId: string;
    link: string;
    expiresAt: Date;
  }): Promise<void>;
}

/** How the saga writes to a requester; mail/ renders the localised text. */
export interface RequesterMailer {
  notify(input: {
    to: string;
    locale: string;
    kind: 'completed' | 'cancelled' | 'duplicate';
    requestId: string;
    idempotencyKey: string;
  }): Promise<void>;
}

export function createPrivacyMailer(
  config: Pick<MeridianConfig, 'privacy' | 'signingKeys'>,
): (PortalMailer & RequesterMailer) | undefined {
  const { smtpUrl, mailFrom, publicUrl, smtpTimeoutMs, statusLinkDays } = config.privacy;
  if (!smtpUrl) return undefined;
  const mailer = createMailer({ smtpUrl, from: mailFrom, timeoutMs: smtpTimeoutMs });
  return {
    async sendVerification({ to, locale, requestId, code, link, expiresInMinutes }) {
      // One code per request; the key (and so the Message-ID, which mail systems log) carries no code.
      const message = renderEmail(locale, 'verification', { requestId, code, link, minutes: expiresInMinutes });
      await mailer.send({ to, ...message, idempotencyKey: `${requestId}:verification` });
    },
    async sendStatusLink({ to, locale, requestId, link, expiresAt }) {
      const message = renderEmail(locale, 'statusLink', { requestId, link, expiresAt });
      await mailer.send({ to, ...message, idempotencyKey: `${requestId}:status-link:${expiresAt.getTime()}` });
    },
    async notify({ to, locale, kind, requestId, idempotencyKey }) {
      // The status page opens only with a token: the link carries one, valid as long as a portal's status link is.
      const expiresAt = new Date(Date.now() + statusLinkDays * 86_400_000);
      const statusLink = `${publicUrl}/privacy/requests/${requestId}?token=${statusToken(config.signingKeys, requestId, expiresAt)}`;
      const message = renderEmail(locale, kind === 'duplicate' ? 'received' : kind, { requestId, link: statusLink });
      await mailer.send({ to, ...message, idempotencyKey });
    },
  };
}
