import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import { importPKCS8, SignJWT } from 'jose';
import webpush from 'web-push';
import { ChannelSendError, type MessageChannel, type RenderedMessage, retryAfterMs } from './channels';

/**
 * App push behind the one MessageChannel: a browser's Web Push subscription (RFC 8030 push
 * service, VAPID RFC 8292, payload encrypted aes128gcm RFC 8291, through the `web-push` library)
 * or a mobile app's device token through a MobilePushProvider (FCM HTTP v1 here). The person's
 * devices are identities (`fcm_token`, `web_push`), sealed like every identifier; an app token
 * comes first when the person has both. A provider saying the device is gone (404/410 for Web
 * Push, UNREGISTERED or an invalid token for FCM) removes that identity, and the send fails for
 * good; throttling (429) is retried after the provider's Retry-After.
 */

/** `to` of a push: the identity type and its value, so one channel serves both kinds of device. */
const FCM_PREFIX = 'fcm_token:';
const WEB_PREFIX = 'web_push:';

/** A stable short tag for a send key (Web Push Topic, FCM collapse key): a retry replaces, never adds. */
export function sendTag(sendKey: string): string {
  return createHash('sha256').update(sendKey).digest('base64url').slice(0, 32);
}

function notification(content: RenderedMessage): { title: string; body: string } {
  return { title: content.subject ?? '', body: content.text };
}

export interface MobilePushProvider {
  /** One message to one device token; a ChannelSendError on failure. */
  send(token: string, content: RenderedMessage, sendKey: string): Promise<{ providerMessageId: string }>;
}

export interface WebPushOptions {
  vapid: { subject: string; publicKey: string; privateKey: string };
  /** How long the push service keeps an undelivered message (RFC 8030 TTL); default a day. */
  ttlSeconds?: number;
  timeoutMs?: number;
  /** Tests only: an agent trusting the emulator's certificate (the library speaks https only). */
  agent?: Agent;
}

async function sendWebPush(
  options: WebPushOptions,
  subscriptionJson: string,
  content: RenderedMessage,
  sendKey: string,
) {
  const subscription = JSON.parse(subscriptionJson) as webpush.PushSubscription;
  try {
    const result = await webpush.sendNotification(subscription, JSON.stringify(notification(content)), {
      vapidDetails: options.vapid,
      TTL: options.ttlSeconds ?? 86_400,
      contentEncoding: 'aes128gcm',
      urgency: 'normal',
      // RFC 8030 §5.4: a message with the same topic replaces an undelivered one, so a retry after
      // an ambiguous failure is shown once.
      topic: sendTag(sendKey),
      timeout: options.timeoutMs ?? 10_000,
      ...(options.agent ? { agent: options.agent } : {}),
    });
    const location = result.headers.location ?? result.headers.Location;
    return { providerMessageId: typeof location === 'string' && location ? location : `webpush:${sendTag(sendKey)}` };
  } catch (error) {
    if (error instanceof webpush.WebPushError) {
      const status = error.statusCode;
      // RFC 8030 §7.3: 404 / 410, the subscription expired or was removed by the browser.
      if (status === 404 || status === 410)
        throw new ChannelSendError(`push not sent: the push service says the subscription is gone (${status})`, false, {
          invalidAddress: { type: 'web_push', value: subscriptionJson },
        });
      const header = error.headers?.['retry-after'];
      if (status === 429 || status >= 500) {
        const wait = retryAfterMs(typeof header === 'string' ? header : undefined);
        throw new ChannelSendError(`push not sent: the push service answered ${status}`, true, {
          ...(wait !== undefined ? { retryAfterMs: wait } : {}),
        });
      }
      // 400 (bad headers), 401/403 (VAPID refused), 413 (payload too large): not helped by a retry.
      throw new ChannelSendError(`push not sent: the push service refused it (${status})`, false);
    }
    // A timeout or a connection error: the service may or may not have it; the Topic makes a retry safe.
    throw new ChannelSendError(`push not sent: the push service could not be reached (${(error as Error).name})`, true);
  }
}

/** App push: a mobile device token first (through `mobile`), else a browser subscription (Web Push). */
export function pushChannel(providers: { webPush?: WebPushOptions; mobile?: MobilePushProvider }): MessageChannel {
  return {
    channel: 'push',
    addressOf(person) {
      const token = providers.mobile ? person.platformIds.fcm_token?.[0] : undefined;
      if (token) return `${FCM_PREFIX}${token}`;
      const subscription = providers.webPush ? person.platformIds.web_push?.[0] : undefined;
      if (subscription) return `${WEB_PREFIX}${subscription}`;
      return undefined;
    },
    async send({ to, content, sendKey }) {
      if (to.startsWith(FCM_PREFIX) && providers.mobile)
        return providers.mobile.send(to.slice(FCM_PREFIX.length), content, sendKey);
      if (to.startsWith(WEB_PREFIX) && providers.webPush)
        return sendWebPush(providers.webPush, to.slice(WEB_PREFIX.length), content, sendKey);
      throw new ChannelSendError('push not sent: no provider is configured for this kind of device', false);
    },
  };
}

// -------------------------------------------------------------------------------------------------
// FCM HTTP v1
// -------------------------------------------------------------------------------------------------

/** The fields of a Google service account key file that FCM's OAuth needs. */
export interface FcmServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  /** https://oauth2.googleapis.com/token */
  token_uri: string;
}

export interface FcmOptions {
  serviceAccount: FcmServiceAccount;
  /** https://fcm.googleapis.com (an emulator in tests). */
  baseUrl?: string;
  timeoutMs?: number;
  now?: () => number;
}

const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

interface FcmErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { '@type'?: string; errorCode?: string; fieldViolations?: { field?: string }[] }[];
  };
}

/**
 * FCM HTTP v1 (`POST /v1/projects/{id}/messages:send`) with an OAuth 2.0 bearer token from the
 * service account (RFC 7523 JWT bearer grant, scope firebase.messaging), cached until a minute
 * before it expires and fetched again after a 401.
 */
export function fcmProvider(options: FcmOptions): MobilePushProvider {
  const now = options.now ?? Date.now;
  const baseUrl = (options.baseUrl ?? 'https://fcm.googleapis.com').replace(/\/$/, '');
  const timeout = options.timeoutMs ?? 10_000;
  let token: { value: string; until: number } | undefined;

  async function accessToken(): Promise<string> {
    if (token && token.until > now()) return token.value;
    const account = options.serviceAccount;
    const key = await importPKCS8(account.private_key, 'RS256');
    const iat = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(account.client_email)
      .setAudience(account.token_uri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key);
    let response: Response;
    try {
      response = await fetch(account.token_uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (error) {
      throw new ChannelSendError(`push not sent: Google OAuth could not be reached (${(error as Error).name})`, true);
    }
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
    };
    if (!response.ok || !body.access_token)
      throw new ChannelSendError(
        `push not sent: Google OAuth refused the service account (${response.status} ${body.error ?? ''})`.trim(),
        response.status >= 500,
      );
    token = { value: body.access_token, until: now() + Math.max(0, (body.expires_in ?? 3600) - 60) * 1000 };
    return token.value;
  }

  async function call(deviceToken: string, content: RenderedMessage, sendKey: string): Promise<Response> {
    const bearer = await accessToken();
    try {
      return await fetch(
        `${baseUrl}/v1/projects/${encodeURIComponent(options.serviceAccount.project_id)}/messages:send`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            message: {
              token: deviceToken,
              notification: notification(content),
              // A retry after an ambiguous failure collapses into the same notification on the device.
              android: { collapse_key: sendTag(sendKey) },
              apns: { headers: { 'apns-collapse-id': sendTag(sendKey) } },
            },
          }),
          signal: AbortSignal.timeout(timeout),
        },
      );
    } catch (error) {
      throw new ChannelSendError(`push not sent: FCM could not be reached (${(error as Error).name})`, true);
    }
  }

  return {
    async send(deviceToken, content, sendKey) {
      let response = await call(deviceToken, content, sendKey);
      if (response.status === 401) {
        // An expired or revoked access token: one more try with a fresh one.
        token = undefined;
        response = await call(deviceToken, content, sendKey);
      }
      if (response.ok) {
        const body = (await response.json().catch(() => ({}))) as { name?: string };
        if (!body.name) throw new ChannelSendError('push not sent: FCM answered without a message name', true);
        return { providerMessageId: body.name };
      }
      const body = (await response.json().catch(() => ({}))) as FcmErrorBody;
      const status = body.error?.status ?? '';
      const fcmCode = body.error?.details?.find((d) => d['@type']?.endsWith('FcmError'))?.errorCode ?? status;
      const tokenViolation =
        body.error?.details?.some((d) => d.fieldViolations?.some((v) => v.field === 'message.token')) ?? false;
      const invalidToken =
        fcmCode === 'UNREGISTERED' ||
        (fcmCode === 'INVALID_ARGUMENT' && (tokenViolation || /registration token/i.test(body.error?.message ?? '')));
      if (invalidToken)
        throw new ChannelSendError(`push not sent: FCM says the device token is ${fcmCode}`, false, {
          invalidAddress: { type: 'fcm_token', value: deviceToken },
        });
      if (response.status === 429 || fcmCode === 'QUOTA_EXCEEDED' || response.status >= 500) {
        const wait = retryAfterMs(response.headers.get('retry-after'));
        throw new ChannelSendError(`push not sent: FCM answered ${response.status} ${fcmCode}`, true, {
          ...(wait !== undefined ? { retryAfterMs: wait } : {}),
        });
      }
      // INVALID_ARGUMENT on the payload, SENDER_ID_MISMATCH, THIRD_PARTY_AUTH_ERROR, PERMISSION_DENIED.
      throw new ChannelSendError(`push not sent: FCM refused it (${response.status} ${fcmCode})`, false);
    },
  };
}
