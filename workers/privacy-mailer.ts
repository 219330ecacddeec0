import type { RequesterMailer } from '../activities/privacy/regional';
import type { MeridianConfig } from '../domain/config';
import type { PortalMailer } from '../web/privacy/routes';
import { createMailer, renderEmail } from './mailer';

/**
 * The privacy emails, localised: the verification code for a new request (from the web server)
 * and the notices of the saga (from the requester's region worker). One Message-ID per request
 * and kind, so a retried send is recognisable as the same message.
 */
export function createPrivacyMailer(config: Pick<MeridianConfig, 'privacy'>): (PortalMailer & RequesterMailer) | undefined {
  const { smtpUrl, mailFrom, publicUrl } = config.privacy;
  if (!smtpUrl) return undefined;
  const mailer = createMailer({ smtpUrl, from: mailFrom });
  return {
    async sendVerification({ to, locale, requestId, code, link, expiresInMinutes }) {
      const message = renderEmail(locale, 'verification', { requestId, code, link, minutes: expiresInMinutes });
      await mailer.send({ to, ...message, idempotencyKey: `${requestId}:verification:${code}` });
    },
    async notify({ to, locale, kind, requestId, idempotencyKey }) {
      const statusLink = `${publicUrl}/privacy/requests/${requestId}`;
      const message = renderEmail(locale, kind === 'duplicate' ? 'received' : kind, { requestId, link: statusLink });
      await mailer.send({ to, ...message, idempotencyKey });
    },
  };
}
