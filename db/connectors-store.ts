import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { CONNECTED_SYSTEMS, CONNECTORS } from '../connectors';
import { describeIssues } from '../domain/validation';
import { open, seal } from './crypto-shredding';

/**
 * Connectors: settings in the global database (no secrets, no personal data), credentials sealed
 * with the region key in the connector's region database, which only that region's worker and the
 * admin API open.
 */

export interface Connector {
  id: string;
  system: string;
  name: string;
  region: string;
  /** The brand the connector belongs to (`brands.id`): what it brings in is that brand's data. */
  brandId: string;
  settings: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export class ConnectorConfigError extends Error {
  override readonly name = 'ConnectorConfigError';
}

const credentialsContext = (connectorId: string) => `connector-credentials:${connectorId}`;

/** Settings and credentials checked against the connector's definition; throws ConnectorConfigError naming the field. */
export function validateConnector(
  system: string,
  settings: unknown,
  credentials: unknown,
): { settings: unknown; credentials: unknown } {
  // A store syncs and also answers privacy requests; an email or ad platform only does the latter.
  const definition = CONNECTORS[system as keyof typeof CONNECTORS] ?? CONNECTED_SYSTEMS[system];
  if (!definition) {
    const known = [...new Set([...Object.keys(CONNECTORS), ...Object.keys(CONNECTED_SYSTEMS)])].join(', ');
    throw new ConnectorConfigError(`system: unknown system "${system}": use one of ${known}`);
  }
  const s = definition.settings.safeParse(settings);
  if (!s.success) throw new ConnectorConfigError(describeIssues(s.error, 'settings', { prefixed: true }));
  const c = definition.credentials.safeParse(credentials);
  if (!c.success) throw new ConnectorConfigError(describeIssues(c.error, 'credentials', { prefixed: true }));
  return { settings: s.data, credentials: c.data };
}

export async function createConnector(
  globalSql: Sql,
  regional: { sql: Sql; key: Buffer },
  input: {
    system: string;
    name: string;
    region: string;
    settings: unknown;
    credentials: unknown;
    id?: string;
    brandId?: string;
  },
): Promise<Connector> {
  const checked = validateConnector(input.system, input.settings, input.credentials);
  const id = input.id ?? `con_${randomBytes(8).toString('hex')}`;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new ConnectorConfigError('id: use 1 to 64 letters, digits, _ or -');
  // Credentials first: a connector is never listed without the secrets its sync needs.
  await storeCredentials(regional, id, checked.credentials);
  const [row] = await globalSql<ConnectorRow[]>`
    insert into connectors (id, system, name, region, settings, brand_id)
    values (${id}, ${input.system}, ${input.name}, ${input.region}, ${JSON.stringify(checked.settings)}::text::jsonb, ${input.brandId ?? 'default'})
    on conflict (id) do update set system = excluded.system, name = excluded.name, region = excluded.region,
      settings = excluded.settings, brand_id = excluded.brand_id, updated_at = now()
    returning *`;
  return toConnector(row!);
}

/**
 * The settings that say where the connector's credentials are sent (`shopUrl`, `baseUrl` …) whose value
 * differs between the two settings objects.
 */
export function changedEndpointSettings(system: string, before: unknown, after: unknown): string[] {
  const definition = CONNECTORS[system as keyof typeof CONNECTORS] ?? CONNECTED_SYSTEMS[system];
  const fields = new Set([
    ...(definition?.endpointSettings ?? []),
    ...(CONNECTED_SYSTEMS[system]?.endpointSettings ?? []),
  ]);
  const value = (settings: unknown, field: string) =>
    typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>)[field] : undefined;
  return [...fields].filter(
    (field) => JSON.stringify(value(before, field) ?? null) !== JSON.stringify(value(after, field) ?? null),
  );
}

/**
 * New settings and/or credentials; each is validated whole against the definition. A change of a URL
 * setting needs the credentials in the same call: stored secrets never follow a URL to a new host.
 */
export async function updateConnector(
  globalSql: Sql,
  regional: { sql: Sql; key: Buffer },
  id: string,
  change: { name?: string; settings?: unknown; credentials?: unknown; brandId?: string },
): Promise<Connector | undefined> {
  const current = await getConnector(globalSql, id);
  if (!current) return undefined;
  const settings = change.settings ?? current.settings;
  const moved =
    change.credentials === undefined ? changedEndpointSettings(current.system, current.settings, settings) : [];
  if (moved.length > 0) {
    throw new ConnectorConfigError(
      `credentials: required when ${moved.map((field) => `settings.${field}`).join(' or ')} changes — give the credentials again with the new URL, ` +
        'so that the stored ones are never sent to a host they were not given for',
    );
  }
  const credentials = change.credentials ?? (await loadCredentials(regional, id));
  const checked = validateConnector(current.system, settings, credentials);
  if (change.credentials !== undefined) await storeCredentials(regional, id, checked.credentials);
  const [row] = await globalSql<ConnectorRow[]>`
    update connectors set name = ${change.name ?? current.name}, settings = ${JSON.stringify(checked.settings)}::text::jsonb,
      brand_id = ${change.brandId ?? current.brandId}, updated_at = now()
    where id = ${id} returning *`;
  return toConnector(row!);
}

export async function getConnector(globalSql: Sql, id: string): Promise<Connector | undefined> {
  const [row] = await globalSql<ConnectorRow[]>`select * from connectors where id = ${id}`;
  return row ? toConnector(row) : undefined;
}

export async function listConnectors(globalSql: Sql, region?: string): Promise<Connector[]> {
  const rows = region
    ? await globalSql<ConnectorRow[]>`select * from connectors where region = ${region} order by id`
    : await globalSql<ConnectorRow[]>`select * from connectors order by id`;
  return rows.map(toConnector);
}

export async function storeCredentials(
  regional: { sql: Sql; key: Buffer },
  connectorId: string,
  credentials: unknown,
): Promise<void> {
  const sealed = seal(regional.key, JSON.stringify(credentials), credentialsContext(connectorId));
  await regional.sql`
    insert into connector_credentials (connector_id, credentials_sealed) values (${connectorId}, ${sealed})
    on conflict (connector_id) do update set credentials_sealed = excluded.credentials_sealed, updated_at = now()`;
}

export async function loadCredentials(regional: { sql: Sql; key: Buffer }, connectorId: string): Promise<unknown> {
  const [row] = await regional.sql<{ credentials_sealed: Buffer }[]>`
    select credentials_sealed from connector_credentials where connector_id = ${connectorId}`;
  if (!row)
    throw new ConnectorConfigError(
      `connector ${connectorId} has no credentials in this region: set them with the admin API (PUT /admin/connectors/${connectorId})`,
    );
  return JSON.parse(open(regional.key, row.credentials_sealed, credentialsContext(connectorId)).toString('utf8'));
}

interface ConnectorRow {
  id: string;
  system: string;
  name: string;
  region: string;
  brand_id: string;
  settings: unknown;
  created_at: Date | string;
  updated_at: Date | string;
}

function toConnector(row: ConnectorRow): Connector {
  return {
    id: row.id,
    system: row.system,
    name: row.name,
    region: row.region,
    brandId: row.brand_id,
    // Parsed here when a pool hands jsonb back as text (drizzle's pools do, plain postgres.js does not).
    settings: typeof row.settings === 'string' ? (JSON.parse(row.settings) as unknown) : row.settings,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
