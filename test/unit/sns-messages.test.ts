import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSnsUrl, type SnsMessage, snsSignatureHolds, snsStringToSign } from '../../domain/sns-messages';

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'sns', name), 'utf8');

describe('SNS messages (domain/sns-messages.ts)', () => {
  it('fetches certificates and confirmations only over HTTPS from an SNS host of AWS', () => {
    expect(isSnsUrl('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem', 'certificate')).toBe(true);
    expect(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem', 'certificate')).toBe(
      true,
    );
    for (const url of [
      'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem', // not HTTPS
      'https://sns.eu-west-1.amazonaws.com.evil.example/SimpleNotificationService-abc.pem',
      'https://evil.example/sns.eu-west-1.amazonaws.com/x.pem',
      'https://sns.eu-west-1.amazonaws.com@evil.example/x.pem',
      'https://user@sns.eu-west-1.amazonaws.com/x.pem',
      'https://sns.eu-west-1.amazonaws.com:8443/x.pem',
      'https://s3.amazonaws.com/x.pem', // AWS, but not SNS: anyone can put a file there
      'https://sns.eu-west-1.amazonaws.com/x.txt', // not a certificate
      'not a url',
    ])
      expect(isSnsUrl(url, 'certificate'), url).toBe(false);
    expect(
      isSnsUrl('https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=a&Token=t', 'subscribe'),
    ).toBe(true);
    expect(isSnsUrl('https://evil.example/?Action=ConfirmSubscription', 'subscribe')).toBe(false);
  });

  const notification: SnsMessage = {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-events',
    Subject: 'My First Message',
    Message: 'Hello world!',
    Timestamp: '2026-03-10T10:00:00.000Z',
    SignatureVersion: '2',
    Signature: '',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
  };

  it('signs the fields AWS lists for each type, in its order', () => {
    expect(snsStringToSign(notification)).toBe(
      'Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n' +
        'Timestamp\n2026-03-10T10:00:00.000Z\nTopicArn\narn:aws:sns:eu-west-1:123456789012:ses-events\nType\nNotification\n',
    );
    // No Subject: the field is left out, not signed empty.
    expect(snsStringToSign({ ...notification, Subject: undefined })).not.toContain('Subject');
    expect(
      snsStringToSign({
        ...notification,
        Type: 'SubscriptionConfirmation',
        Subject: undefined,
        Token: 'tok',
        SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription',
      }),
    ).toBe(
      'Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n' +
        'SubscribeURL\nhttps://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription\n' +
        'Timestamp\n2026-03-10T10:00:00.000Z\nToken\ntok\nTopicArn\narn:aws:sns:eu-west-1:123456789012:ses-events\n' +
        'Type\nSubscriptionConfirmation\n',
    );
  });

  it('accepts a signature by the certificate’s key (SHA256 for version 2, SHA1 for 1), nothing else', () => {
    const sign = (message: SnsMessage, key: string, algorithm: string) =>
      createSign(algorithm).update(snsStringToSign(message)).sign(key, 'base64');
    const cert = fixture('sns-signing-cert.pem');
    const v2 = { ...notification, Signature: sign(notification, fixture('sns-signing-key.pem'), 'RSA-SHA256') };
    expect(snsSignatureHolds(v2, cert)).toBe(true);
    const v1 = { ...notification, SignatureVersion: '1' as const };
    expect(snsSignatureHolds({ ...v1, Signature: sign(v1, fixture('sns-signing-key.pem'), 'RSA-SHA1') }, cert)).toBe(
      true,
    );
    // A version-2 signature presented as version 1, another key, a changed field, garbage: refused.
    expect(snsSignatureHolds({ ...v2, SignatureVersion: '1' }, cert)).toBe(false);
    expect(
      snsSignatureHolds(
        { ...notification, Signature: sign(notification, fixture('attacker-signing-key.pem'), 'RSA-SHA256') },
        cert,
      ),
    ).toBe(false);
    expect(snsSignatureHolds({ ...v2, Message: 'Hello world?' }, cert)).toBe(false);
    expect(snsSignatureHolds({ ...v2, Signature: 'bm90IGEgc2lnbmF0dXJl' }, cert)).toBe(false);
    expect(snsSignatureHolds(v2, 'not a certificate')).toBe(false);
  });
});
