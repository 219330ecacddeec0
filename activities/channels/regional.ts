import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { consentBrandOf } from '../../db/brands-store';
import type { RegionKey } from '../../db/crypto-shredding';
import { loadPersonIdentifiers } from '../../db/person-store';
import { markFailed, markSent, releaseSendClaim, reserveSend } from '../../db/send-gate-store';
import { unsubscribeUrl } from '../../domain/privacy-links';
import type { Channel, SendOutcome, SendRequest } from '../../domain/send-gate';
import { sendRequestSchema } from '../../domain/send-gate';
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
  now?: () => Date;
}

export function createChannelActivities(deps: ChannelActivityDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async sendMessage(input: SendRequest): Promise<SendOutcome> {
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

      const consentBrand = await consentBrandOf(deps.globalSql, request.brandId);
      const reservation = await reserveSend(deps.sql, request, consentBrand, now());
      switch (reservation.kind) {
        case 'already-sent':
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
          await markFailed(deps.sql, request.sendKey, message);
          throw ApplicationFailure.nonRetryable(message, 'ChannelRefused');
        }
        await releaseSendClaim(deps.sql, request.sendKey, message);
        throw ApplicationFailure.create({ message, type: 'ChannelUnavailable' });
      }
      await markSent(deps.sql, request.sendKey, providerMessageId);
      return { status: 'sent', sendKey: request.sendKey, providerMessageId, repeated: false };
    },
  };
}

export type ChannelActivities = ReturnType<typeof createChannelActivities>;
