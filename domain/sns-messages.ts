import { createPublicKey, verify } from 'node:crypto';
import { z } from 'zod';

/**
 * Amazon SNS messages posted to an HTTPS subscription (SES bounce, complaint and engagement events
 * published to a topic), checked as AWS documents it ("Verifying the signatures of Amazon SNS
 * messages", docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
 * - the topic must be one this deployment subscribed (anyone can create a topic and subscribe our
 *   URL to it, and AWS signs their messages too);
 * - the signing certificate is fetched only over HTTPS from an SNS host of AWS
 *   (`sns.<region>.amazonaws.com`, `.amazonaws.com.cn` in China), never from where a message says;
 * - the signature (SignatureVersion 1: RSA with SHA1, 2: RSA with SHA256) is over the message's
 *   fields, each as "Name\nvalue\n", in the order AWS gives for its type.
 */

export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;

const text = (name: string, max: number) =>
  z
    .string({ error: `${name} is required` })
    .min(1, `${name} is required`)
    .max(max);

export const snsMessageSchema = z.object({
  Type: z.enum(SNS_MESSAGE_TYPES, { error: `Type must be one of ${SNS_MESSAGE_TYPES.join(', ')}` }),
  MessageId: text('MessageId', 100),
  TopicArn: text('TopicArn', 300),
  Subject: z.string().max(200).nullish(),
  // SNS allows 256 KB messages.
  Message: z.string({ error: 'Message is required' }).max(262_144),
  Timestamp: text('Timestamp', 40),
  SignatureVersion: z.enum(['1', '2'], { error: 'SignatureVersion must be 1 or 2' }),
  Signature: text('Signature', 2000),
  SigningCertURL: text('SigningCertURL', 500),
  Token: z.string().max(2000).optional(),
  SubscribeURL: z.string().max(2000).optional(),
});
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/** The topic ARN rule AWS gives (partition, region, account, name). */
export const SNS_TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Whether `url` is an HTTPS address on an SNS host of AWS (a signing certificate must also be a .pem). */
export function isSnsUrl(url: string, kind: 'certificate' | 'subscribe'): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.port !== '' || parsed.username || parsed.password) return false;
  if (!SNS_HOST.test(parsed.hostname)) return false;
  return kind === 'subscribe' || parsed.pathname.endsWith('.pem');
}

/** The text SNS signs for a message of this type. */
export function snsStringToSign(message: SnsMessage): string {
  const fields: (keyof SnsMessage)[] =
    message.Type === 'Notification'
      ? [
          'Message',
          'MessageId',
          ...(message.Subject != null ? (['Subject'] as const) : []),
          'Timestamp',
          'TopicArn',
          'Type',
        ]
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.map((name) => `${name}\n${message[name] ?? ''}\n`).join('');
}

/** Whether `message` is signed by the key of `certificatePem` (an X.509 certificate in PEM). */
export function snsSignatureHolds(message: SnsMessage, certificatePem: string): boolean {
  try {
    const key = createPublicKey(certificatePem);
    return verify(
      message.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1',
      Buffer.from(snsStringToSign(message), 'utf8'),
      key,
      Buffer.from(message.Signature, 'base64'),
    );
  } catch {
    return false;
  }
}
