import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Sql } from 'postgres';
import twilio from 'twilio';
import { z } from 'zod';
import {
  customersWithIdentifier,
  findSendByProviderMessageId,
  type SentMessage,
  suppressChannel,
} from '../../db/channel-events-store';
import { ConsentInputError, recordConsent } from '../../db/consent-store';
import { blindIndex } from '../../db/crypto-shredding';
import type { CallOutcome, IncomingCall } from '../../db/region-writer';
import { type DeliveryStatus, deliveryEventCall } from '../../domain/delivery-events';
import { normalisePhone } from '../../domain/identifiers';
import type { RegionCatalog } from '../../domain/regions';
import type { Channel } from '../../domain/send-gate';
import { isSnsUrl, snsMessageSchema, snsSignatureHolds } from '../../domain/sns-messages';
import { describeIssues } from '../../domain/validation';
import {
  checkWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '../../domain/webhook-mapping';
import { startRecordedPropagation } from '../../temporal/consent-outbox';
import { errorAnswer, json, type RouteDoc } from '../openapi';
import { fetchSnsHttp, SnsCertificates, type SnsHttp } from './sns-certificates';

/**
 * Providers calling back (issue 12, delivery events): internet-facing, so each route checks the
 * provider's signature before it reads anything, and answers a forgery 403 (Twilio) or 401.
 * - `POST /channels/twilio/:region/status`: Twilio's message status callback, signed with
 *   `X-Twilio-Signature` (HMAC-SHA1 of the full URL and the sorted form fields under the account's
 *   auth token; checked with the twilio SDK's validateRequest): delivered → `Message Delivered`,
 *   failed / undelivered → `Message Failed` (with Twilio's error code).
 * - `POST /channels/twilio/:region/inbound`: an SMS reply, same signature. Twilio's opt-out
 *   keywords (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT) withdraw SMS marketing
 *   consent, its opt-in keywords (START, YES, UNSTOP, OPTIN) grant it, through recordConsent and
 *   its propagation, for every profile in the region holding the sender's number.
 * - `POST /channels/email/:region/events`: email events in Amazon SES's notification / event
 *   publishing JSON (notificationType or eventType Bounce, Complaint, Delivery, Open, Click), signed
 *   as Meridian's webhooks are (X-Meridian-Signature over "<timestamp>.<body>", timestamp within 5
 *   minutes: an old request is a replay) with MERIDIAN_EMAIL_EVENTS_SECRET — a relay (an SNS
 *   subscription's Lambda, or any provider's webhook forwarder) signs what SES sent. A permanent
 *   bounce suppresses email for the person; a complaint suppresses it and withdraws email marketing
 *   consent (propagated); each becomes a delivery event.
 * - `POST /channels/email/:region/sns`: the same SES events straight from an Amazon SNS HTTPS
 *   subscription, no relay: only topics in MERIDIAN_SES_SNS_TOPIC_ARNS, each message's signature
 *   checked with the certificate fetched from an SNS host of AWS (domain/sns-messages.ts); a
 *   subscription's confirmation is confirmed by fetching its SubscribeURL, also only on an SNS host.
 * Twilio's protocol has no timestamp: a replayed callback is stored once (delivery events are
 * deduplicated by send key and status), and a replayed STOP/START only restates the same consent.
 */

export interface ChannelCallbackDeps {
  regional: ReadonlyMap<string, { sql: Sql }>;
  /** The region writers: delivery events go the ingest path, so segments and reports see them. */
  writers: ReadonlyMap<string, { write(items: IncomingCall[]): Promise<CallOutcome[]> }>;
  hmacKey: Buffer;
  temporal: Client;
  regions: RegionCatalog;
  /** The public URL Twilio was given (its signature covers the full URL). */
  publicUrl: string;
  /** The Twilio account's auth token: the Twilio routes answer 404 without it. */
  twilioAuthToken?: string;
  /** The email events relay's secret: the email route answers 404 without it. */
  emailEventsSecret?: string;
  /** The SNS topics SES publishes to that this deployment subscribed: the SNS route answers 404 without any. */
  sesSnsTopicArns?: readonly string[];
  /** How the SNS route reaches AWS (signing certificates, subscription confirmations); tests give an emulator. */
  snsHttp?: SnsHttp;
  /** The consent scope of a brand (db/brands-store.ts cachedConsentBrandOf), for a complaint's withdrawal. */
  consentBrandOf?: (brandId: string) => Promise<string | null>;
  now?: () => number;
}

function channelsRoute(doc: RouteDoc) {
  return {
    tags: ['service'],
    ...doc,
    response: {
      ...doc.response,
      default: json(
        'refused: 400 a malformed body (the field and the rule), 401/403 a missing or wrong signature or an old timestamp, 404 a region or provider not configured here',
        errorAnswer,
      ),
    },
  };
}

class CallbackError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const regionParams = z.object({ region: z.string().describe('the region the provider sends for (its callback URL)') });

const twilioStatusSchema = z.object({
  MessageSid: z.string({ error: 'MessageSid is required' }).regex(/^(SM|MM)[0-9a-f]{32}$/, {
    error: 'MessageSid must be a Twilio message SID',
  }),
  MessageStatus: z.string({ error: 'MessageStatus is required' }).max(40),
  ErrorCode: z.string().max(10).optional(),
});

const twilioInboundSchema = z.object({
  MessageSid: z.string({ error: 'MessageSid is required' }).regex(/^(SM|MM)[0-9a-f]{32}$/, {
    error: 'MessageSid must be a Twilio message SID',
  }),
  From: z.string({ error: 'From is required' }).min(1).max(64),
  Body: z.string().max(1600).default(''),
});

/** Twilio's default opt-out and opt-in keywords (Advanced Opt-Out, help.twilio.com/articles/223134027). */
export const SMS_STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
export const SMS_START_KEYWORDS = ['START', 'YES', 'UNSTOP', 'OPTIN'];

const sesEventTypes = ['Bounce', 'Complaint', 'Delivery', 'Open', 'Click', 'Send', 'Reject', 'DeliveryDelay'] as const;
const sesEventSchema = z
  .object({
    notificationType: z.enum(sesEventTypes).optional(),
    eventType: z.enum(sesEventTypes).optional(),
    mail: z.object({
      messageId: z.string().min(1).max(300),
      commonHeaders: z.object({ messageId: z.string().max(300).optional() }).optional(),
    }),
    bounce: z
      .object({
        bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
        bounceSubType: z.string().max(60).optional(),
        feedbackId: z.string().min(1).max(200),
      })
      .optional(),
    complaint: z
      .object({ feedbackId: z.string().min(1).max(200), complaintFeedbackType: z.string().max(60).optional() })
      .optional(),
  })
  .refine((e) => e.notificationType ?? e.eventType, { error: 'notificationType or eventType is required' })
  .refine((e) => (e.notificationType ?? e.eventType) !== 'Bounce' || e.bounce, {
    error: 'bounce is required for a Bounce',
    path: ['bounce'],
  })
  .refine((e) => (e.notificationType ?? e.eventType) !== 'Complaint' || e.complaint, {
    error: 'complaint is required for a Complaint',
    path: ['complaint'],
  });

const TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function registerChannelRoutes(app: FastifyInstance, deps: ChannelCallbackDeps): void {
  const now = deps.now ?? Date.now;
  const snsHttp = deps.snsHttp ?? fetchSnsHttp;
  const snsCertificates = new SnsCertificates(snsHttp, now);

  app.register(async (scope) => {
    // Signatures are over what was sent: bodies are kept raw and parsed once they are verified.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      // SNS posts its JSON as text/plain.
      ['application/x-www-form-urlencoded', 'application/json', 'text/plain'],
      { parseAs: 'buffer', bodyLimit: 256 * 1024 },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
      if (error instanceof CallbackError) return reply.code(error.statusCode).send({ error: error.message });
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
        return reply
          .code(415)
          .send({ error: 'send application/x-www-form-urlencoded (Twilio), application/json or text/plain (SNS)' });
      if (error.statusCode && error.statusCode < 500)
        return reply.code(error.statusCode).send({ error: error.message });
      throw error;
    });

    const regional = (region: string) => {
      const found = deps.regional.get(region);
      const writer = deps.writers.get(region);
      if (!found || !writer)
        throw new CallbackError(404, `no region ${JSON.stringify(region.slice(0, 40))} is served here`);
      return { sql: found.sql, writer };
    };

    async function record(region: string, send: SentMessage, status: DeliveryStatus, detail?: Record<string, string>) {
      const { writer } = regional(region);
      await writer.write([
        deliveryEventCall({
          customerId: send.customerId,
          channel: send.channel as Channel,
          status,
          sendKey: send.sendKey,
          ...(send.journeyRunId ? { journeyRunId: send.journeyRunId } : {}),
          ...(detail ? { detail } : {}),
          at: new Date(now()),
        }),
      ]);
    }

    /** Twilio's signature over the URL it called (our public URL + the path and query) and the form fields. */
    function twilioForm(request: FastifyRequest): Record<string, string> {
      if (!deps.twilioAuthToken) throw new CallbackError(404, 'Twilio callbacks are not configured here');
      const signature = request.headers['x-twilio-signature'];
      const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
      const params: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(raw)) params[name] = value;
      const url = `${deps.publicUrl}${request.url}`;
      if (typeof signature !== 'string' || !twilio.validateRequest(deps.twilioAuthToken, signature, url, params))
        throw new CallbackError(403, 'X-Twilio-Signature is missing or does not match this URL and body');
      return params;
    }

    const formDoc = (summary: string, description: string) =>
      channelsRoute({
        summary,
        description,
        params: regionParams,
        headers: z.object({ 'x-twilio-signature': z.string().describe("Twilio's request signature") }),
        response: {
          200: { description: 'recorded (TwiML or an empty answer)', content: { 'text/xml': { schema: z.string() } } },
        },
      });

    scope.post<{ Params: { region: string } }>(
      '/channels/twilio/:region/status',
      {
        schema: formDoc(
          "Twilio message status callback: delivered and failed messages become delivery events on the person's profile",
          'Form fields as Twilio sends them (MessageSid, MessageStatus, ErrorCode …), signed with X-Twilio-Signature.',
        ),
      },
      async (request, reply: FastifyReply) => {
        const params = twilioForm(request);
        const { sql } = regional(request.params.region);
        const parsed = twilioStatusSchema.safeParse(params);
        if (!parsed.success) throw new CallbackError(400, describeIssues(parsed.error, 'status callback'));
        const { MessageSid, MessageStatus, ErrorCode } = parsed.data;
        const status: DeliveryStatus | undefined =
          MessageStatus === 'delivered'
            ? 'delivered'
            : MessageStatus === 'failed' || MessageStatus === 'undelivered'
              ? 'failed'
              : undefined;
        const send = status ? await findSendByProviderMessageId(sql, [MessageSid]) : undefined;
        if (send && status)
          await record(request.params.region, send, status, {
            providerStatus: MessageStatus,
            ...(ErrorCode && /^\d+$/.test(ErrorCode) ? { errorCode: ErrorCode } : {}),
          });
        return reply.code(200).type('text/xml').send(TWIML_EMPTY);
      },
    );

    scope.post<{ Params: { region: string } }>(
      '/channels/twilio/:region/inbound',
      {
        schema: formDoc(
          'Twilio inbound SMS: STOP / START replies withdraw / grant SMS marketing consent (propagated)',
          "Form fields as Twilio sends them (MessageSid, From, Body …), signed with X-Twilio-Signature. Twilio's default opt-out and opt-in keywords are recognised.",
        ),
      },
      async (request, reply: FastifyReply) => {
        const params = twilioForm(request);
        const region = request.params.region;
        const { sql } = regional(region);
        const parsed = twilioInboundSchema.safeParse(params);
        if (!parsed.success) throw new CallbackError(400, describeIssues(parsed.error, 'inbound message'));
        const keyword = parsed.data.Body.trim().toUpperCase();
        const state = SMS_STOP_KEYWORDS.includes(keyword)
          ? ('withdrawn' as const)
          : SMS_START_KEYWORDS.includes(keyword)
            ? ('granted' as const)
            : undefined;
        if (state) {
          const phone = normalisePhone(parsed.data.From, {});
          if (!phone.ok) throw new CallbackError(400, 'From must be a phone number in E.164 form');
          const people = await customersWithIdentifier(sql, 'phone', blindIndex(deps.hmacKey, 'phone', phone.value));
          for (const customerId of people) {
            const stored = await recordConsent(
              sql,
              customerId,
              [
                {
                  purpose: 'smsMarketing',
                  state,
                  source: 'sms-reply',
                  at: new Date(now()).toISOString(),
                  proof: { kind: 'sms-reply', reference: parsed.data.MessageSid },
                },
              ],
              undefined,
              {},
            ).catch((error: Error) => {
              // A number on a profile without a consent subject (no law known): nothing to record.
              if (error instanceof ConsentInputError) return undefined;
              throw error;
            });
            if (stored?.propagationId)
              await startRecordedPropagation(deps.temporal, deps.regions, region, sql, {
                propagationId: stored.propagationId,
                customerId,
              });
          }
        }
        // Twilio's Advanced Opt-Out answers the person itself; this answer adds nothing.
        return reply.code(200).type('text/xml').send(TWIML_EMPTY);
      },
    );

    /** An SES notification or event-publishing record, however it came (signed by a relay, or by SNS). */
    async function sesEvent(
      region: string,
      sql: Sql,
      body: unknown,
    ): Promise<{ recorded: boolean; suppressed?: boolean }> {
      const parsed = sesEventSchema.safeParse(body);
      if (!parsed.success) throw new CallbackError(400, describeIssues(parsed.error, 'email event'));
      const event = parsed.data;
      const type = (event.notificationType ?? event.eventType)!;
      const headerId = event.mail.commonHeaders?.messageId;
      const ids = [event.mail.messageId, ...(headerId ? [headerId] : [])].flatMap((id) => {
        const bare = id.replace(/^<|>$/g, '');
        return [bare, `<${bare}>`];
      });
      const send = await findSendByProviderMessageId(sql, ids);
      if (!send || send.channel !== 'email') return { recorded: false };

      if (type === 'Bounce') {
        const bounce = event.bounce!;
        const permanent = bounce.bounceType === 'Permanent';
        if (permanent) await suppressChannel(sql, send.customerId, 'email', 'bounce', bounce.feedbackId);
        await record(region, send, 'bounced', {
          bounceType: bounce.bounceType,
          ...(bounce.bounceSubType ? { bounceSubType: bounce.bounceSubType } : {}),
        });
        return { recorded: true, suppressed: permanent };
      }
      if (type === 'Complaint') {
        const complaint = event.complaint!;
        await suppressChannel(sql, send.customerId, 'email', 'complaint', complaint.feedbackId);
        // A spam report is a withdrawal of email marketing, in the brand's scope, told to the connected systems.
        const stored = await recordConsent(
          sql,
          send.customerId,
          [
            {
              purpose: 'emailMarketing',
              state: 'withdrawn',
              source: 'complaint',
              at: new Date(now()).toISOString(),
              proof: { kind: 'email-complaint', reference: `complaint:${randomBytes(8).toString('hex')}` },
            },
          ],
          undefined,
          { brandId: deps.consentBrandOf ? await deps.consentBrandOf(send.brandId) : null },
        );
        if (stored.propagationId)
          await startRecordedPropagation(deps.temporal, deps.regions, region, sql, {
            propagationId: stored.propagationId,
            customerId: send.customerId,
          });
        await record(region, send, 'unsubscribed', { reason: 'complaint' });
        return { recorded: true, suppressed: true };
      }
      const status: DeliveryStatus | undefined =
        type === 'Delivery' ? 'delivered' : type === 'Open' ? 'opened' : type === 'Click' ? 'clicked' : undefined;
      if (!status) return { recorded: false };
      await record(region, send, status);
      return { recorded: true };
    }

    scope.post<{ Params: { region: string } }>(
      '/channels/email/:region/events',
      {
        schema: channelsRoute({
          summary:
            'Email events (Amazon SES notification JSON: Bounce, Complaint, Delivery, Open, Click): bounces and complaints become suppressions, all become delivery events',
          description:
            'The body is an SES notification or event-publishing record (the SNS Message), signed by the relay with X-Meridian-Signature: sha256=<hex HMAC-SHA256 of "<X-Meridian-Timestamp>.<raw body>"> under MERIDIAN_EMAIL_EVENTS_SECRET.',
          params: regionParams,
          headers: z.object({
            [WEBHOOK_SIGNATURE_HEADER]: z.string().describe('sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">'),
            [WEBHOOK_TIMESTAMP_HEADER]: z
              .string()
              .describe('Unix seconds when signed; refused when more than 5 minutes away'),
          }),
          response: {
            200: json(
              'recorded, or nothing to record (no message of ours has this ID)',
              z.object({ recorded: z.boolean(), suppressed: z.boolean().optional() }),
            ),
          },
        }),
      },
      async (request) => {
        if (!deps.emailEventsSecret) throw new CallbackError(404, 'email events are not configured here');
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signed = checkWebhookSignature(
          deps.emailEventsSecret,
          {
            signature: request.headers[WEBHOOK_SIGNATURE_HEADER] as string | undefined,
            timestamp: request.headers[WEBHOOK_TIMESTAMP_HEADER] as string | undefined,
          },
          raw,
          now(),
        );
        if (!signed.ok) throw new CallbackError(401, signed.reason);
        const region = request.params.region;
        const { sql } = regional(region);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new CallbackError(400, 'the body is not JSON: send the SES notification as sent');
        }
        return sesEvent(region, sql, body);
      },
    );

    scope.post<{ Params: { region: string } }>(
      '/channels/email/:region/sns',
      {
        schema: channelsRoute({
          summary:
            'Email events from an Amazon SNS subscription (SES bounce, complaint, delivery, open, click notifications), verified by their SNS signature',
          description:
            "Subscribe this URL (HTTPS) to the SNS topic SES publishes its events to, and list the topic in MERIDIAN_SES_SNS_TOPIC_ARNS. Each message's signature (SignatureVersion 1 or 2) is checked with the signing certificate fetched from an SNS host of AWS; other topics, other certificate hosts and wrong signatures are refused with 403. The subscription's confirmation is confirmed by fetching its SubscribeURL. A notification's Message is handled as /channels/email/:region/events handles a relayed event.",
          params: regionParams,
          response: {
            200: json(
              'recorded (or nothing to record: no message of ours has this ID), or the subscription confirmed',
              z.object({
                recorded: z.boolean().optional(),
                suppressed: z.boolean().optional(),
                confirmed: z.boolean().optional(),
              }),
            ),
          },
        }),
      },
      async (request) => {
        const topics = deps.sesSnsTopicArns ?? [];
        if (topics.length === 0)
          throw new CallbackError(404, 'SNS email events are not configured here: set MERIDIAN_SES_SNS_TOPIC_ARNS');
        const region = request.params.region;
        const { sql } = regional(region);
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        let envelope: unknown;
        try {
          envelope = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new CallbackError(400, 'the body is not JSON: send the SNS message as SNS sent it');
        }
        const parsed = snsMessageSchema.safeParse(envelope);
        if (!parsed.success) throw new CallbackError(400, describeIssues(parsed.error, 'SNS message'));
        const message = parsed.data;
        if (!topics.includes(message.TopicArn))
          throw new CallbackError(
            403,
            'TopicArn is not a topic this deployment subscribed (MERIDIAN_SES_SNS_TOPIC_ARNS)',
          );
        if (!isSnsUrl(message.SigningCertURL, 'certificate'))
          throw new CallbackError(403, 'SigningCertURL is not an HTTPS address of Amazon SNS');
        let certificate: string;
        try {
          certificate = await snsCertificates.get(message.SigningCertURL);
        } catch (error) {
          throw new CallbackError(
            503,
            `could not fetch the SNS signing certificate (${error instanceof Error ? error.message : 'unknown'}); SNS retries`,
          );
        }
        if (!snsSignatureHolds(message, certificate))
          throw new CallbackError(403, 'the SNS signature does not match this message');

        if (message.Type === 'SubscriptionConfirmation') {
          if (!message.SubscribeURL || !isSnsUrl(message.SubscribeURL, 'subscribe'))
            throw new CallbackError(403, 'SubscribeURL is not an HTTPS address of Amazon SNS');
          try {
            await snsHttp.get(message.SubscribeURL);
          } catch (error) {
            throw new CallbackError(
              502,
              `could not confirm the subscription (${error instanceof Error ? error.message : 'unknown'}): confirm it from the SNS console`,
            );
          }
          return { confirmed: true };
        }
        if (message.Type === 'UnsubscribeConfirmation') return { recorded: false };
        let body: unknown;
        try {
          body = JSON.parse(message.Message);
        } catch {
          throw new CallbackError(400, 'the SNS Message is not JSON: publish SES events as JSON');
        }
        return sesEvent(region, sql, body);
      },
    );
  });
}
