import type { Sql } from 'postgres';

/**
 * Ad clicks and the conversions sent back for them, in a region's database: the click IDs people came
 * by (Google's gclid, gbraid, wbraid), and one reservation per (ad connector, order) so a conversion
 * is uploaded once, however often its order is synced again or its upload retried (DESIGN.md, rule 4).
 */

export type ClickKind = 'gclid' | 'gbraid' | 'wbraid';

export interface AdClick {
  kind: ClickKind;
  clickId: string;
  customerId: string;
  sourceId: string;
  at: string;
}

/** The person a stored call (by its source and message ID) resolved to, for follow-ups of a record stored before. */
export async function customerOfStoredCall(sql: Sql, sourceId: string, messageId: string): Promise<string | undefined> {
  const [row] = await sql<{ customer_id: string }[]>`
    select customer_id::text from events where source_id = ${sourceId} and message_id = ${messageId} limit 1`;
  return row?.customer_id;
}

/** Keeps clicks; a click ID seen again keeps its first person and time. */
export async function recordAdClicks(sql: Sql, clicks: AdClick[]): Promise<number> {
  if (clicks.length === 0) return 0;
  const stored = await sql`
    insert into ad_clicks (kind, click_id, customer_id, source_id, clicked_at)
    select * from unnest(
      ${sql.array(clicks.map((c) => c.kind))}::text[], ${sql.array(clicks.map((c) => c.clickId))}::text[],
      ${sql.array(clicks.map((c) => c.customerId))}::uuid[], ${sql.array(clicks.map((c) => c.sourceId))}::text[],
      ${sql.array(clicks.map((c) => c.at))}::timestamptz[])
    on conflict (kind, click_id) do nothing`;
  return stored.count;
}

export async function clicksOf(
  sql: Sql,
  customerId: string,
): Promise<{ kind: ClickKind; clickId: string; at: string }[]> {
  const rows = await sql<{ kind: ClickKind; click_id: string; clicked_at: Date | string }[]>`
    select kind, click_id, clicked_at from ad_clicks where customer_id = ${customerId} order by clicked_at`;
  return rows.map((r) => ({ kind: r.kind, clickId: r.click_id, at: new Date(r.clicked_at).toISOString() }));
}

/** An order of a clicked person that has no conversion (reserved or sent) for the connector yet. */
export interface ConversionCandidate {
  orderSourceId: string;
  orderExternalId: string;
  customerId: string;
  currency: string;
  totalMinor: string;
  placedAt: string;
  click: { kind: ClickKind; clickId: string; at: string };
}

/**
 * Orders (not cancelled) placed within `windowDays` after a click of their buyer, oldest first, that
 * the connector has not reserved: the newest click before the order is the one credited. Pending
 * reservations (an upload that died before it was confirmed) come first, to be confirmed.
 */
export async function conversionCandidates(
  sql: Sql,
  input: { connectorId: string; windowDays: number; limit: number },
): Promise<{ pending: ConversionCandidate[]; fresh: ConversionCandidate[] }> {
  const window = `${input.windowDays} days`;
  const rows = await sql<
    {
      source_id: string;
      external_id: string;
      customer_id: string;
      currency: string;
      total_minor: string;
      placed_at: Date | string;
      kind: ClickKind;
      click_id: string;
      clicked_at: Date | string;
      reserved: string | null;
    }[]
  >`
    select o.source_id, o.external_id, o.customer_id::text, o.currency, o.total_minor::text, o.placed_at,
           c.kind, c.click_id, c.clicked_at, u.status as reserved
    from orders o
    join lateral (
      select kind, click_id, clicked_at from ad_clicks
      where customer_id = o.customer_id and clicked_at <= o.placed_at and clicked_at > o.placed_at - ${window}::interval
      order by clicked_at desc limit 1
    ) c on true
    left join ad_conversion_uploads u
      on u.connector_id = ${input.connectorId} and u.order_source_id = o.source_id and u.order_external_id = o.external_id
    where o.customer_id is not null and o.status <> 'cancelled' and (u.status is null or u.status = 'pending')
    order by (u.status is null), o.placed_at, o.source_id, o.external_id
    limit ${input.limit}`;
  const pending: ConversionCandidate[] = [];
  const fresh: ConversionCandidate[] = [];
  for (const r of rows) {
    const candidate: ConversionCandidate = {
      orderSourceId: r.source_id,
      orderExternalId: r.external_id,
      customerId: r.customer_id,
      currency: r.currency,
      totalMinor: r.total_minor,
      placedAt: new Date(r.placed_at).toISOString(),
      click: { kind: r.kind, clickId: r.click_id, at: new Date(r.clicked_at).toISOString() },
    };
    (r.reserved === 'pending' ? pending : fresh).push(candidate);
  }
  return { pending, fresh };
}

/** Reserves the orders' conversions before the upload (a reservation already there is kept as it is). */
export async function reserveConversions(
  sql: Sql,
  connectorId: string,
  candidates: ConversionCandidate[],
): Promise<void> {
  if (candidates.length === 0) return;
  await sql`
    insert into ad_conversion_uploads (connector_id, order_source_id, order_external_id, customer_id, click_kind, status, attempts)
    select ${connectorId}, s, e, c, k, 'pending', 0 from unnest(
      ${sql.array(candidates.map((c) => c.orderSourceId))}::text[], ${sql.array(candidates.map((c) => c.orderExternalId))}::text[],
      ${sql.array(candidates.map((c) => c.customerId))}::uuid[], ${sql.array(candidates.map((c) => c.click.kind))}::text[]) as u(s, e, c, k)
    on conflict do nothing`;
}

export async function countConversionAttempt(
  sql: Sql,
  connectorId: string,
  orders: { orderSourceId: string; orderExternalId: string }[],
): Promise<void> {
  if (orders.length === 0) return;
  await sql`
    update ad_conversion_uploads set attempts = attempts + 1
    where connector_id = ${connectorId} and (order_source_id, order_external_id) in (
      select * from unnest(${sql.array(orders.map((o) => o.orderSourceId))}::text[], ${sql.array(orders.map((o) => o.orderExternalId))}::text[]))`;
}

/** The platform's answer for one order: uploaded (or already there), or refused for good with why (no personal value). */
export async function finishConversion(
  sql: Sql,
  connectorId: string,
  order: { orderSourceId: string; orderExternalId: string },
  outcome: { status: 'uploaded' } | { status: 'refused'; error: string },
): Promise<void> {
  await sql`
    update ad_conversion_uploads
    set status = ${outcome.status}, last_error = ${outcome.status === 'refused' ? outcome.error : null},
        uploaded_at = case when ${outcome.status} = 'uploaded' then now() end
    where connector_id = ${connectorId} and order_source_id = ${order.orderSourceId}
      and order_external_id = ${order.orderExternalId} and status = 'pending'`;
}

export async function conversionUploads(
  sql: Sql,
  connectorId: string,
): Promise<{ orderExternalId: string; status: string; attempts: number; lastError: string | null }[]> {
  const rows = await sql<{ order_external_id: string; status: string; attempts: number; last_error: string | null }[]>`
    select order_external_id, status, attempts, last_error from ad_conversion_uploads
    where connector_id = ${connectorId} order by order_external_id`;
  return rows.map((r) => ({
    orderExternalId: r.order_external_id,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error,
  }));
}

/** Which of these people came by an ad click (a recorded gclid, gbraid or wbraid). */
export async function clickedAmong(sql: Sql, customerIds: readonly string[]): Promise<string[]> {
  if (customerIds.length === 0) return [];
  const rows = await sql<{ customer_id: string }[]>`
    select distinct customer_id from ad_clicks where customer_id in (select unnest(${sql.array([...customerIds])}::uuid[]))`;
  return rows.map((r) => r.customer_id);
}
