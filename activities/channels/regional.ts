import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { consentBrandOf } from '../../db/brands-store';
import type { RegionKey } from '../../db/crypto-shredding';
import { loadPersonIdentifiers, removeIdentityValue } from '../../db/person-store';
import type { CallOutcome, IncomingCall } from '../../db/region-writer';
import { markFailed, markSent, releaseSendClaim, reserveSend } from '../../db/send-gate-store';
import { deliveryEventCall } from '../../domain/delivery-events';
import { unsubscribeUrl } from '../../domain/privacy-links';
import type { Channel, FrequencyCap, SendOutcome, SendPurpose, SendRequest } from '../../domain/send-gate';
import { FREQUENCY_CAPS, sendRequestSchema } from '../../domain/send-gate';
import type { SigningKeys } from '../../domain/signing-keys';
import { describeIssues } from '../../domain/validation';
import { ChannelSendError, type MessageChannel, type RenderedMessage } from './channels';

/**
 * sendMessage: the one way a journey or a broadcast sends (issue 12). The gate (db/send-gate-store.ts)
 * decides and reserves the send key in one transaction; then the address is read from the sealed
 * identities and the content rendered, here, and the channel's provider called; then the key is
 * marked sent. Input and outcome carry IDs only: `sent` (with the provider's message ID), `deferred`
 * (until the next allowed instant: the caller sleeps and asks again with the same key) or `blocked`
 * (with a reason). A retried activity finds its key and never sends twice.
 */

/** Renders a template for one person; the content never leaves the activity (activities/channels/templates.ts). */
export interface MessageTemplates {
  render(
    templateRef: string,
    context: { channel: Channel; customerId: string; brandId: string; region: string },
  ): Promise<RenderedMessage>;
}

export interface ChannelActivityDeps {
  region: string;
  sql: Sql;
  globalSql: Sql;
  regionKey: RegionKey;
  channels: Partial<Record<Channel, MessageChannel>>;
  templates: MessageTemplates;
  /** For the signed one-click unsubscribe link: the privacy portal's public URL and the signing keys. */
  unsubscribe: { publicUrl: string; signingKeys: SigningKeys };
  /**
   * Where the `Message Sent` delivery event goes (the region's RegionWriter: the ingest path, so
   * segments and reports see it). Unset: no event is written.
   */
  deliveryEvents?: { write(items: IncomingCall[]): Promise<CallOutcome[]> };
  /** Frequency caps; default FREQUENCY_CAPS (a configured webhook cap is added here). */
  caps?: Readonly<Record<SendPurpose, Readonly<Partial<Record<Channel, FrequencyCap>>>>>;
  now?: () => Date;
}

/** The sending code, with the batch helpers a broadcast uses in-process (not activities). */
export function createChannelSender(deps: ChannelActivityDeps) {
  const now = deps.now ?? (() => new Date());
  /**
   * The `Message Sent` event; deduplicated by its message ID, so a retry's second write stores nothing.
   * `collect`: appended there instead, for the caller to write a batch's events in one call.
   */
  async function recordSent(request: SendRequest, providerMessageId: string, collect?: IncomingCall[]): Promise<void> {
    if (!deps.deliveryEvents) return;
    const call = deliveryEventCall({
      customerId: request.customerId,
      channel: request.channel,
      status: 'sent',
      sendKey: request.sendKey,
      ...(providerMessageId ? { providerMessageId } : {}),
      at: now(),
      ...(request.journeyRunId ? { journeyRunId: request.journeyRunId } : {}),
    });
    if (collect) collect.push(call);
    else await deps.deliveryEvents.write([call]);
  }
  /** A brand's consent scope, read once a minute at most (a broadcast asks for every member). */
  const consentBrands = new Map<string, { scope: string | null; until: number }>();
  async function consentScope(brandId: string): Promise<string | null> {
    const cached = consentBrands.get(brandId);
    if (cached && cached.until > Date.now()) return cached.scope;
    const scope = await consentBrandOf(deps.globalSql, brandId);
    consentBrands.set(brandId, { scope, until: Date.now() + 60_000 });
    return scope;
  }

  async function send(input: SendRequest, collect?: IncomingCall[]): Promise<SendOutcome> {
    const parsed = sendRequestSchema.safeParse(input);
    if (!parsed.success)
      throw ApplicationFailure.nonRetryable(describeIssues(parsed.error, 'send request'), 'BadSendRequest');
    const request = parsed.data;
    if (request.region !== deps.region)
      throw ApplicationFailure.nonRetryable(
        `region: this worker sends for ${deps.region}, not ${request.region}: run the activity on the person's region queue`,
        'BadSendRequest',
      );
    const channel = deps.channels[request.channel];
    if (!channel)
      throw ApplicationFailure.nonRetryable(
        `channel: no ${request.channel} provider is configured in region ${deps.region}`,
        'ChannelNotConfigured',
      );

    const consentBrand = await consentScope(request.brandId);
    const reservation = await reserveSend(
      deps.sql,
      request,
      consentBrand,
      now(),
      deps.caps ?? FREQUENCY_CAPS,
      channel.consentPurpose,
    );
    switch (reservation.kind) {
      case 'already-sent':
        // The earlier attempt may have died between the provider and its event: written again, stored once.
        await recordSent(request, reservation.providerMessageId, collect);
        return {
          status: 'sent',
          sendKey: request.sendKey,
          providerMessageId: reservation.providerMessageId,
          repeated: true,
        };
      case 'in-flight':
        throw ApplicationFailure.create({
          message: `send key ${request.sendKey} is held by another attempt: retrying once it is released`,
          type: 'SendInFlight',
        });
      case 'deferred':
        return { status: 'deferred', until: reservation.until.toISOString() };
      case 'blocked':
        return { status: 'blocked', reason: reservation.reason };
      case 'reserved':
        break;
    }

    const person = await loadPersonIdentifiers(deps.sql, deps.regionKey, request.customerId);
    const to = person ? channel.addressOf(person) : undefined;
    if (!to) {
      await markFailed(deps.sql, request.sendKey, 'no-address');
      return { status: 'blocked', reason: 'no-address' };
    }
    let content: RenderedMessage;
    try {
      content = await deps.templates.render(request.templateRef, {
        channel: request.channel,
        customerId: request.customerId,
        brandId: request.brandId,
        region: request.region,
      });
    } catch (error) {
      // A template that cannot render for good (missing, wrong channel, broken Liquid) fails the key;
      // a transient failure (the database) releases it for the retry.
      const message = `template not rendered: ${error instanceof ChannelSendError ? error.message : (error as Error).name}`;
      if (error instanceof ChannelSendError && !error.retryable) {
        await markFailed(deps.sql, request.sendKey, message);
        throw ApplicationFailure.nonRetryable(message, 'TemplateNotRendered');
      }
      await releaseSendClaim(deps.sql, request.sendKey, message);
      throw ApplicationFailure.create({ message, type: 'TemplateNotRendered' });
    }
    const link = unsubscribeUrl(deps.unsubscribe.signingKeys, deps.unsubscribe.publicUrl, {
      customerId: request.customerId,
      region: request.region,
      brandId: request.brandId,
      channel: request.channel,
    });
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await channel.send({ to, content, sendKey: request.sendKey, unsubscribeUrl: link }));
    } catch (error) {
      const message =
        error instanceof ChannelSendError ? error.message : `${request.channel} not sent: ${(error as Error).name}`;
      if (error instanceof ChannelSendError && !error.retryable) {
        // A device the provider says is gone for good (an unregistered token) is no longer the person's.
        const gone = error.details.invalidAddress;
        if (gone) await removeIdentityValue(deps.sql, deps.regionKey, request.customerId, gone.type, gone.value);
        await markFailed(deps.sql, request.sendKey, message);
        throw ApplicationFailure.nonRetryable(message, 'ChannelRefused');
      }
      await releaseSendClaim(deps.sql, request.sendKey, message);
      const wait = error instanceof ChannelSendError ? error.details.retryAfterMs : undefined;
      // The provider's Retry-After (a 429) is when Temporal tries again.
      throw ApplicationFailure.create({
        message,
        type: 'ChannelUnavailable',
        ...(wait !== undefined ? { nextRetryDelay: Math.max(wait, 1000) } : {}),
      });
    }
    await markSent(deps.sql, request.sendKey, providerMessageId);
    await recordSent(request, providerMessageId, collect);
    return { status: 'sent', sendKey: request.sendKey, providerMessageId, repeated: false };
  }

  return {
    sendMessage(input: SendRequest): Promise<SendOutcome> {
      return send(input);
    },
    /**
     * For a broadcast's batch (in-process, not an activity): sends as sendMessage does but appends
     * the `Message Sent` events to `collect`; the caller writes them with `writeDeliveryEvents`
     * before it records the members' outcomes, so a batch that dies in between is retried, finds
     * its keys sent, and collects the events again.
     */
    sendCollecting(input: SendRequest, collect: IncomingCall[]): Promise<SendOutcome> {
      return send(input, collect);
    },
    async writeDeliveryEvents(calls: IncomingCall[]): Promise<void> {
      if (deps.deliveryEvents && calls.length > 0) await deps.deliveryEvents.write(calls);
    },
  };
}

/** The activity: sendMessage only. */
export function createChannelActivities(deps: ChannelActivityDeps) {
  const sender = createChannelSender(deps);
  return { sendMessage: sender.sendMessage };
}

export type ChannelSender = ReturnType<typeof createChannelSender>;
export type ChannelActivities = ReturnType<typeof createChannelActivities>;
