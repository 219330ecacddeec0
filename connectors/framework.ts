import type { z } from 'zod';
import type { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../domain/commerce';
import type { Purpose } from '../domain/consent';

/**
 * What a connector is, for the sync workflow: its settings and credentials (zod-validated when a
 * connector is created, again when a sync opens it), its streams, and a session that fetches one
 * page of a stream at a time, already mapped to canonical records.
 *
 * A pass over a stream starts with `cursor: null` and `since` (records updated at or after that
 * instant; undefined = everything the connector's settings allow), and follows `next` until it is
 * null. Cursors are plain JSON without personal data: the workflow checkpoints them and they show
 * in its history. A page's records are stored before its `next` is checkpointed, so a crash
 * repeats at most a page, and storage is idempotent by (source, external ID).
 */

export const STREAMS = ['customers', 'orders'] as const;
export type StreamName = (typeof STREAMS)[number];

export const CONNECTOR_SYSTEMS = [
  'shopify',
  'shopee',
  'lazada',
  'amazon',
  'file',
  'tiktok_shop',
  'hubspot',
  'meta_leads',
  'google_ads',
] as const;
export type ConnectorSystem = (typeof CONNECTOR_SYSTEMS)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Cursor = { [key: string]: JsonValue };

export interface SyncPage {
  customers: CanonicalCustomer[];
  orders: CanonicalOrder[];
  /** Records that could not be mapped, each with a reason naming the field and rule, never a personal value. */
  rejected: RejectedRecord[];
  /** Where the next page of this pass starts; null when the pass is complete. */
  next: Cursor | null;
  /**
   * The latest source update time (ISO 8601, UTC) of any record in the page, mapped or not; the
   * next pass starts from the highest one seen in a completed pass. Undefined when the page is empty
   * or the source has no update times (a file).
   */
  highWater?: string;
  /** Records this pass will hold in all, when the source says (for progress); undefined when unknown. */
  total?: number;
  /** Consent a page's customers gave on the source's own form (a lead form), with what they were shown. */
  consents?: SourcedConsent[];
  /** Ad clicks (gclid …) a page's customers came by, for conversions sent back to the ad platform. */
  clicks?: SourcedClick[];
}

/**
 * What a person agreed to on a source's form, and the proof: the text the form showed and the answers
 * given (`evidence`, no personal values: form IDs, policy text, checkbox keys and states), kept in the
 * region under (proof.kind, proof.reference), which the consent records name.
 */
export interface SourcedConsent {
  /** The externalId of the customer in the same page the choices belong to. */
  customerExternalId: string;
  /** The person's country, when the source gives it: the law that applies to a first consent record. */
  countryCode?: string;
  /** When the choice was made (ISO 8601, UTC). */
  at: string;
  proof: { kind: string; reference: string };
  choices: { purpose: Purpose; state: 'granted' | 'denied' }[];
  evidence: { [key: string]: JsonValue };
}

/** An ad click ID a customer of the page arrived with (a lead form's gcl_id). */
export interface SourcedClick {
  customerExternalId: string;
  kind: 'gclid' | 'gbraid' | 'wbraid';
  clickId: string;
  /** When the click (or the form submitted after it) happened (ISO 8601, UTC). */
  at: string;
}

export interface ConnectorContext {
  /** The connector's ID: the source ID of every record it brings in. */
  sourceId: string;
  /** Replaces the waiting of rate-limit waits (tests record them instead). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Called during long waits (rate limits, big files) so the activity keeps heartbeating. */
  heartbeat?: () => void;
  /** The folder a file import may read from (MERIDIAN_IMPORT_DIR on the worker); without it a file import reads nothing. */
  importDir?: string;
  /**
   * Keeps new credentials sealed in the region (a refreshed token pair the vendor rotates), so the next
   * session opens with them; without it (tests) they last for the session only.
   */
  saveCredentials?: (credentials: unknown) => Promise<void>;
}

export interface ConnectorSession {
  fetchPage(stream: StreamName, cursor: Cursor | null, since: string | undefined): Promise<SyncPage>;
  /**
   * Records named by a vendor's notification (a webhook that carries IDs only, such as Meta's leadgen),
   * fetched and mapped as a page; only for connectors that are notified.
   */
  fetchRecords?(stream: StreamName, ids: string[]): Promise<SyncPage>;
  close?(): Promise<void>;
}

export interface ConnectorDefinition<Settings = unknown, Credentials = unknown> {
  system: ConnectorSystem;
  /** How people name the system in messages: "Shopify", "Shopee", "Amazon SP-API", "File import". */
  label: string;
  /** Non-secret configuration (store URL, time zone, file path, column mapping …). */
  settings: z.ZodType<Settings>;
  /** Secrets, stored sealed with the region key; an empty object schema when there are none. */
  credentials: z.ZodType<Credentials>;
  streams: readonly StreamName[];
  /**
   * The settings that say where credentials are sent (e.g. `shopUrl`): changing one requires the
   * credentials again, so stored secrets never follow a URL to a new host.
   */
  endpointSettings?: readonly string[];
  open(settings: Settings, credentials: Credentials, context: ConnectorContext): ConnectorSession;
}
