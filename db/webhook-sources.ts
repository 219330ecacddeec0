import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { WebhookMapping } from '../domain/webhook-mapping';
import type { GlobalDb } from './connections';
import { open, seal } from './crypto-shredding';
import { sources } from './schema/global';

/**
 * A source's webhook: its secret, sealed with the region key of the source's region (a signature
 * check needs the secret itself, so a hash would not do; a copy of the global database alone cannot
 * read it), and its mapping. The secret is returned once, when issued.
 */

export interface WebhookSource {
  sourceId: string;
  region: string;
  secret: string;
  mapping: WebhookMapping;
}

export interface WebhookState {
  secretHint: string | null;
  secretIssuedAt: Date | null;
  mapping: WebhookMapping | null;
}

const secretContext = (sourceId: string) => `webhook-secret:${sourceId}`;

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Issues a new secret (the old one stops at once) and, when given, stores the mapping with it. */
export async function issueWebhookSecret(
  db: GlobalDb,
  regionKey: Buffer,
  sourceId: string,
  mapping?: WebhookMapping,
  now = new Date(),
): Promise<{ secret: string; state: WebhookState }> {
  const secret = newSecret();
  const [row] = await db
    .update(sources)
    .set({
      webhookSecretSealed: seal(regionKey, secret, secretContext(sourceId)),
      webhookSecretHint: secret.slice(-4),
      webhookSecretIssuedAt: now,
      ...(mapping !== undefined ? { webhookMapping: mapping } : {}),
    })
    .where(eq(sources.id, sourceId))
    .returning();
  return { secret, state: stateOf(row!) };
}

export async function setWebhookMapping(
  db: GlobalDb,
  sourceId: string,
  mapping: WebhookMapping,
): Promise<WebhookState | undefined> {
  const [row] = await db.update(sources).set({ webhookMapping: mapping }).where(eq(sources.id, sourceId)).returning();
  return row ? stateOf(row) : undefined;
}

export async function webhookState(db: GlobalDb, sourceId: string): Promise<WebhookState | undefined> {
  const [row] = await db.select().from(sources).where(eq(sources.id, sourceId));
  return row ? stateOf(row) : undefined;
}

/**
 * The source's webhook with its secret opened, or undefined when the source does not exist, has no
 * secret or no mapping yet (either way nothing can be posted to it).
 */
export async function loadWebhookSource(
  db: GlobalDb,
  keys: ReadonlyMap<string, Buffer>,
  sourceId: string,
): Promise<WebhookSource | undefined> {
  const [row] = await db.select().from(sources).where(eq(sources.id, sourceId));
  if (!row?.webhookSecretSealed || !row.webhookMapping) return undefined;
  const key = keys.get(row.region);
  if (!key) return undefined;
  return {
    sourceId,
    region: row.region,
    secret: open(key, row.webhookSecretSealed, secretContext(sourceId)).toString('utf8'),
    mapping: row.webhookMapping as WebhookMapping,
  };
}

function stateOf(row: typeof sources.$inferSelect): WebhookState {
  return {
    secretHint: row.webhookSecretHint,
    secretIssuedAt: row.webhookSecretIssuedAt,
    mapping: (row.webhookMapping as WebhookMapping | null) ?? null,
  };
}
