import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from 'postgres';
import { consentBrandOf } from '../../db/brands-store';
import type { RegionKey } from '../../db/crypto-shredding';
import { loadPersonIdentifiersBatch, removeIdentityValue } from '../../db/person-store';
import type { CallOutcome, IncomingCall } from '../../db/region-writer';
import { recordSendResults, reserveSendBatch, type SendResult } from '../../db/send-gate-store';
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
  /**
   * One template for many people (a broadcast's batch), each person's facts read once for all: the
   * rendered message, or the ChannelSendError that person's render ended in. A template that cannot
   * be used at all (missing, another channel's) throws. Absent: `render` is called per person.
   */
  renderBatch?(
    templateRef: string,
    context: { channel: Channel; brandId: string; region: string },
    customerIds: readonly string[],
  ): Promise<Map<string, RenderedMessage | ChannelSendError>>;
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

  /** A request checked as sendMessage checks it: a BadSendRequest or ChannelNotConfigured failure otherwise. */
  function checked(input: SendRequest): { request: SendRequest; channel: MessageChannel } {
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
    return { request, channel };
  }

  /**
   * Sends a batch of messages on one channel, purpose and brand (one request: sendMessage; a
   * broadcast's batch: hundreds). The gate decides and claims the whole batch in one transaction
   * (db/send-gate-store.ts reserveSendBatch); the addresses and the content are read for the batch
   * at once; the provider calls run `concurrency` at a time (each after `beforeSend`, a rate
   * limiter); what became of the claimed keys is recorded a hundred at a time, one statement each, even when a call threw.
   * Each request's answer is its SendOutcome, or the ApplicationFailure sendMessage would throw for
   * it (a failure that concerns the batch as a whole, a bad request or an unconfigured channel, is
   * thrown). A retried batch finds its sent keys and sends nobody twice.
   */
  async function sendBatch(
    inputs: readonly SendRequest[],
    options: { concurrency?: number; beforeSend?: () => Promise<void>; afterEach?: () => void } = {},
    collect?: IncomingCall[],
  ): Promise<BatchOutcome[]> {
    if (inputs.length === 0) return [];
    const checkedAll = inputs.map(checked);
    const { request: first, channel } = checkedAll[0]!;
    const requests = checkedAll.map((c) => c.request);
    if (requests.some((r) => r.channel !== first.channel || r.purpose !== first.purpose || r.brandId !== first.brandId))
      throw ApplicationFailure.nonRetryable(
        'a batch of sends is for one channel, purpose and brand: send the others in their own batch',
        'BadSendRequest',
      );
    const events: IncomingCall[] = collect ?? [];
    const consentBrand = await consentScope(first.brandId);
    const reservations = await reserveSendBatch(
      deps.sql,
      requests,
      consentBrand,
      now(),
      deps.caps ?? FREQUENCY_CAPS,
      channel.consentPurpose,
    );
    const answers: (BatchOutcome | undefined)[] = new Array(requests.length);
    const claimed: number[] = [];
    for (const [i, reservation] of reservations.entries()) {
      const request = requests[i]!;
      switch (reservation.kind) {
        case 'already-sent':
          // The earlier attempt may have died between the provider and its event: written again, stored once.
          await recordSent(request, reservation.providerMessageId, events);
          answers[i] = {
            status: 'sent',
            sendKey: request.sendKey,
            providerMessageId: reservation.providerMessageId,
            repeated: true,
          };
          break;
        case 'in-flight':
          answers[i] = {
            status: 'failure',
            failure: ApplicationFailure.create({
              message: `send key ${request.sendKey} is held by another attempt: retrying once it is released`,
              type: 'SendInFlight',
            }),
          };
          break;
        case 'deferred':
          answers[i] = { status: 'deferred', until: reservation.until.toISOString() };
          break;
        case 'blocked':
          answers[i] = { status: 'blocked', reason: reservation.reason };
          break;
        case 'reserved':
          claimed.push(i);
      }
    }

    const results: SendResult[] = [];
    try {
      const people = await loadPersonIdentifiersBatch(
        deps.sql,
        deps.regionKey,
        claimed.map((i) => requests[i]!.customerId),
      );
      const addressed: { index: number; to: string }[] = [];
      for (const i of claimed) {
        const person = people.get(requests[i]!.customerId);
        const to = person ? channel.addressOf(person) : undefined;
        if (to) addressed.push({ index: i, to });
        else {
          results.push({ sendKey: requests[i]!.sendKey, outcome: 'failed', error: 'no-address' });
          answers[i] = { status: 'blocked', reason: 'no-address' };
        }
      }
      const contents = await renderAll(
        first,
        addressed.map((a) => requests[a.index]!.customerId),
      );
      const ready: { index: number; to: string; content: RenderedMessage }[] = [];
      for (const a of addressed) {
        const request = requests[a.index]!;
        const content = contents.get(request.customerId)!;
        if (!(content instanceof Error)) {
          ready.push({ ...a, content });
          continue;
        }
        // A template that cannot render for good (missing, wrong channel, broken Liquid) fails the key;
        // a transient failure (the database) releases it for the retry.
        const message = `template not rendered: ${content instanceof ChannelSendError ? content.message : content.name}`;
        const permanent = content instanceof ChannelSendError && !content.retryable;
        results.push({ sendKey: request.sendKey, outcome: permanent ? 'failed' : 'released', error: message });
        answers[a.index] = {
          status: 'failure',
          failure: permanent
            ? ApplicationFailure.nonRetryable(message, 'TemplateNotRendered')
            : ApplicationFailure.create({ message, type: 'TemplateNotRendered' }),
        };
      }

      const deliver = async ({ index, to, content }: (typeof ready)[number]) => {
        const request = requests[index]!;
        const link = unsubscribeUrl(deps.unsubscribe.signingKeys, deps.unsubscribe.publicUrl, {
          customerId: request.customerId,
          region: request.region,
          brandId: request.brandId,
          channel: request.channel,
        });
        try {
          await options.beforeSend?.();
          const { providerMessageId } = await channel.send({
            to,
            content,
            sendKey: request.sendKey,
            unsubscribeUrl: link,
          });
          results.push({ sendKey: request.sendKey, outcome: 'sent', providerMessageId });
          // Recorded every RECORD_EVERY sends too: a worker killed mid-batch leaves at most that many
          // sent-but-pending keys, which a retry hands the provider again under the same Message-ID.
          if (results.length >= RECORD_EVERY) await recordSendResults(deps.sql, results.splice(0));
          await recordSent(request, providerMessageId, events);
          answers[index] = { status: 'sent', sendKey: request.sendKey, providerMessageId, repeated: false };
        } catch (error) {
          const message =
            error instanceof ChannelSendError ? error.message : `${request.channel} not sent: ${(error as Error).name}`;
          if (error instanceof ChannelSendError && !error.retryable) {
            // A device the provider says is gone for good (an unregistered token) is no longer the person's.
            const gone = error.details.invalidAddress;
            if (gone) await removeIdentityValue(deps.sql, deps.regionKey, request.customerId, gone.type, gone.value);
            results.push({ sendKey: request.sendKey, outcome: 'failed', error: message });
            answers[index] = { status: 'failure', failure: ApplicationFailure.nonRetryable(message, 'ChannelRefused') };
          } else {
            results.push({ sendKey: request.sendKey, outcome: 'released', error: message });
            const wait = error instanceof ChannelSendError ? error.details.retryAfterMs : undefined;
            // The provider's Retry-After (a 429) is when Temporal tries again.
            answers[index] = {
              status: 'failure',
              failure: ApplicationFailure.create({
                message,
                type: 'ChannelUnavailable',
                ...(wait !== undefined ? { nextRetryDelay: Math.max(wait, 1000) } : {}),
              }),
            };
          }
        }
        options.afterEach?.();
      };
      let next = 0;
      const runner = async () => {
        while (next < ready.length) await deliver(ready[next++]!);
      };
      const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, ready.length));
      await Promise.all(Array.from({ length: concurrency }, runner));
    } finally {
      // Keys of a batch that failed as a whole (the database) are not recorded: their claims lapse, and a retry takes them.
      await recordSendResults(deps.sql, results);
      if (!collect && deps.deliveryEvents && events.length > 0) await deps.deliveryEvents.write(events);
    }
    return answers as BatchOutcome[];
  }

  /** Every person's content, or the error their render ended in; a template unusable for all is everyone's error. */
  async function renderAll(request: SendRequest, customerIds: string[]): Promise<Map<string, RenderedMessage | Error>> {
    const context = { channel: request.channel, brandId: request.brandId, region: request.region };
    const contents = new Map<string, RenderedMessage | Error>();
    if (customerIds.length === 0) return contents;
    try {
      if (deps.templates.renderBatch)
        return await deps.templates.renderBatch(request.templateRef, context, customerIds);
      for (const customerId of customerIds)
        contents.set(
          customerId,
          await deps.templates.render(request.templateRef, { ...context, customerId }).catch((e: Error) => e),
        );
    } catch (error) {
      for (const customerId of customerIds) contents.set(customerId, error as Error);
    }
    return contents;
  }

  async function send(input: SendRequest): Promise<SendOutcome> {
    const [outcome] = await sendBatch([input]);
    if (outcome!.status === 'failure') throw outcome!.failure;
    return outcome!;
  }

  return {
    sendMessage(input: SendRequest): Promise<SendOutcome> {
      return send(input);
    },
    sendBatch,
    async writeDeliveryEvents(calls: IncomingCall[]): Promise<void> {
      if (deps.deliveryEvents && calls.length > 0) await deps.deliveryEvents.write(calls);
    },
  };
}

/** Claimed keys whose results are recorded together while a batch sends. */
const RECORD_EVERY = 100;

/** A request's answer in a batch: its outcome, or the failure sendMessage would throw for it alone. */
export type BatchOutcome = SendOutcome | { status: 'failure'; failure: ApplicationFailure };

/** The activity: sendMessage only. */
export function createChannelActivities(deps: ChannelActivityDeps) {
  const sender = createChannelSender(deps);
  return { sendMessage: sender.sendMessage };
}

export type ChannelSender = ReturnType<typeof createChannelSender>;
export type ChannelActivities = ReturnType<typeof createChannelActivities>;
