import { createHash } from 'node:crypto';
import type { Channel } from './quiet-hours';
import type { TrackingCall } from './tracking';

/**
 * Delivery events (issue 12): what happened to a message after the gate let it go, recorded as a
 * `track` event on the person's profile through the region's writer (the ingest path), so segments,
 * computed traits and reports see them like any other event ("received a push in the last 7 days",
 * "bounced"). Properties are IDs and codes only: channel, send key, the provider's message ID, the
 * journey run; never the address or the content (DESIGN.md rule 2 holds for events too).
 */

export const DELIVERY_STATUSES = [
  'sent',
  'delivered',
  'failed',
  'bounced',
  'opened',
  'clicked',
  'unsubscribed',
  'converted',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The event names, in the Segment spec's "Object Action" style. */
export const DELIVERY_EVENT_NAMES: Readonly<Record<DeliveryStatus, string>> = {
  sent: 'Message Sent',
  delivered: 'Message Delivered',
  failed: 'Message Failed',
  bounced: 'Message Bounced',
  opened: 'Message Opened',
  clicked: 'Message Clicked',
  unsubscribed: 'Message Unsubscribed',
  converted: 'Message Converted',
};

/** The source ID delivery events are stored under (Meridian itself, not a client's source). */
export const DELIVERY_EVENTS_SOURCE_ID = 'meridian-channels';

export interface DeliveryEvent {
  customerId: string;
  channel: Channel;
  status: DeliveryStatus;
  sendKey: string;
  providerMessageId?: string;
  journeyRunId?: string;
  /** Codes only (a bounce type, a Twilio error code): never an address or text a person wrote. */
  detail?: Record<string, string | number>;
  at: Date;
}

/**
 * The writer's input for one delivery event: a call for the named profile (no identifier is
 * resolved), its message ID derived from (status, send key), so a provider's callback delivered
 * twice is stored once.
 */
export function deliveryEventCall(event: DeliveryEvent): {
  sourceId: string;
  provenance: 'server';
  customerId: string;
  call: TrackingCall;
} {
  const messageId = `delivery-${event.status}-${createHash('sha256').update(event.sendKey).digest('hex').slice(0, 40)}`;
  return {
    sourceId: DELIVERY_EVENTS_SOURCE_ID,
    provenance: 'server',
    customerId: event.customerId,
    call: {
      type: 'track',
      messageId,
      event: DELIVERY_EVENT_NAMES[event.status],
      properties: {
        channel: event.channel,
        status: event.status,
        sendKey: event.sendKey,
        ...(event.providerMessageId ? { providerMessageId: event.providerMessageId } : {}),
        ...(event.journeyRunId ? { journeyRunId: event.journeyRunId } : {}),
        ...(event.detail ?? {}),
      },
      traits: {},
      context: {},
      integrations: {},
      receivedAt: new Date(),
      timestamp: event.at,
      warnings: [],
    },
  };
}
