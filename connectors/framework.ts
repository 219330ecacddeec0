import type { z } from 'zod';
import type { CanonicalCustomer, CanonicalOrder, RejectedRecord } from '../domain/commerce';

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

export const CONNECTOR_SYSTEMS = ['shopify', 'shopee', 'lazada', 'amazon', 'file', 'tiktok_shop', 'hubspot'] as const;
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
