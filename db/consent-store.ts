import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import {
  ConsentChange,
  ConsentRecord,
  consentChangeSummary,
  effectiveConsent,
  EffectiveConsentMap,
} from '../domain/consent';
import { jurisdictionOf } from '../domain/jurisdictions';
import { consentPolicyOf, defaultConsent, policyFor, PRIVACY_POLICIES, type Purpose } from '../domain/privacy-policies';

/**
 * Consent in a region's database: the append-only history of choices, the person's jurisdiction
 * (whose defaults apply where they chose nothing), and the propagations a change starts.
 *
 * Brands (issue 11 §2): a brand that is a separate controller records consent under its own name
 * (`brand_id`); every other brand shares the group's consent (`brand_id` null). Each scope is a
 * history of its own: a brand's choice never changes the group's effective consent, nor the reverse.
 * Which scope a brand's consent is in: db/brands-store.ts `consentBrandOf`.
 */

export class ConsentInputError extends Error {
  override readonly name = 'ConsentInputError';
}

export interface ConsentSubject {
  country: string;
  usState?: string;
}

export interface StoredConsent {
  subject: ConsentSubject & { jurisdiction: string };
  effective: EffectiveConsentMap;
  history: (ConsentRecord & { receivedAt: string })[];
}

interface RecordRow {
  purpose: string;
  state: string;
  source: string;
  recorded_at: Date | string;
  proof_kind: string;
  proof_reference: string;
  received_at: Date | string;
}

const toRecord = (row: RecordRow): ConsentRecord & { receivedAt: string } =>
  ({
    purpose: row.purpose,
    state: row.state,
    source: row.source,
    at: new Date(row.recorded_at).toISOString(),
    proof: { kind: row.proof_kind, reference: row.proof_reference },
    receivedAt: new Date(row.received_at).toISOString(),
  }) as ConsentRecord & { receivedAt: string };

function effectiveFor(subject: ConsentSubject, records: ConsentRecord[]): EffectiveConsentMap {
  return effectiveConsent(records, consentPolicyOf(policyFor(subject.country, subject.usState)).defaults);
}

/**
 * Stores choices and returns what changed in effective consent. The person's row is locked for
 * the transaction, so two concurrent changes for one person are computed one after the other.
 * A change creates a propagation (returned) for the consent-propagation workflow, and, unless the
 * caller starts that workflow itself as part of its own workflow (`outbox: false`, the privacy
 * saga), a row in the consent outbox in the same transaction: the change is never committed
 * without a way to start its propagation (temporal/consent-outbox.ts).
 */
export async function recordConsent(
  sql: Sql,
  customerId: string,
  records: ConsentRecord[],
  subject?: ConsentSubject,
  options: { outbox?: boolean; brandId?: string | null } = {},
): Promise<{ changes: ConsentChange[]; propagationId?: string; effective: EffectiveConsentMap }> {
  const brandId = options.brandId ?? null;
  return sql.begin(async (tx) => {
    const [existing] = await tx<{ country: string; us_state: string | null }[]>`
      select country, us_state from consent_subjects where customer_id = ${customerId} for update`;
    const place: ConsentSubject | undefined =
      subject ??
      (existing
        ? { country: existing.country, ...(existing.us_state ? { usState: existing.us_state } : {}) }
        : undefined);
    if (!place) {
      throw new ConsentInputError(
        'country: the first consent record of a person needs their country (ISO 3166-1 alpha-2, and usState in the US), so the right law applies',
      );
    }
    let jurisdiction: string;
    try {
      jurisdiction = jurisdictionOf(place.country, place.usState);
    } catch (error) {
      throw new ConsentInputError(`country: ${(error as Error).message}`);
    }
    // A first record, or a move, sets the person's place (and with it their defaults).
    await tx`
      insert into consent_subjects (customer_id, country, us_state, jurisdiction) values (${customerId}, ${place.country}, ${place.usState ?? null}, ${jurisdiction})
      on conflict (customer_id) do update set country = excluded.country, us_state = excluded.us_state, jurisdiction = excluded.jurisdiction, updated_at = now()`;

    const before = (
      await tx<RecordRow[]>`
        select * from consent_records where customer_id = ${customerId} and brand_id is not distinct from ${brandId}::text`
    ).map(toRecord);
    const beforeSubject: ConsentSubject = existing
      ? { country: existing.country, ...(existing.us_state ? { usState: existing.us_state } : {}) }
      : place;
    if (records.length > 0) {
      await tx`
        insert into consent_records (customer_id, purpose, state, source, recorded_at, proof_kind, proof_reference, brand_id)
        select ${customerId}, p, s, so, a, k, r, ${brandId}::text from unnest(
          ${tx.array(records.map((r) => r.purpose))}::text[], ${tx.array(records.map((r) => r.state))}::text[], ${tx.array(records.map((r) => r.source))}::text[],
          ${tx.array(records.map((r) => r.at))}::timestamptz[], ${tx.array(records.map((r) => r.proof.kind))}::text[], ${tx.array(records.map((r) => r.proof.reference))}::text[]
        ) as u(p, s, so, a, k, r)
        on conflict do nothing`;
    }
    const after = (
      await tx<RecordRow[]>`
        select * from consent_records where customer_id = ${customerId} and brand_id is not distinct from ${brandId}::text`
    ).map(toRecord);
    const effectiveBefore = existing ? effectiveFor(beforeSubject, before) : undefined;
    const effectiveAfter = effectiveFor(place, after);
    // A person new to consent: every explicit choice is a change to push (their systems never heard it).
    const changes = effectiveBefore
      ? consentChangeSummary(effectiveBefore, effectiveAfter)
      : consentChangeSummary(effectiveFor(place, []), effectiveAfter);
    // Segments testing consent follow it (the audience processor re-evaluates this person); a new
    // record that changes nothing today still changes the latest record the consent facts keep.
    if (records.length > 0 || changes.length > 0 || !existing || existing.country !== place.country)
      await tx`insert into audience_changes (customer_id, cause) values (${customerId}, 'consent')`;
    if (changes.length === 0) return { changes, effective: effectiveAfter };
    // The propagation carries its scope: a brand's change goes to that brand's systems only.
    const propagationId = `cp_${randomBytes(8).toString('hex')}`;
    await tx`
      insert into consent_propagations (id, customer_id, changes, status, brand_id)
      values (${propagationId}, ${customerId}, ${JSON.stringify(changes)}::text::jsonb, 'pending', ${brandId}::text)`;
    if (options.outbox !== false) {
      await tx`insert into consent_propagation_outbox (propagation_id, customer_id) values (${propagationId}, ${customerId})`;
    }
    return { changes, propagationId, effective: effectiveAfter };
  });
}

/** The person's consent in one scope: the group's (`brandId` null, the default) or a separate-controller brand's. */
export async function readConsent(
  sql: Sql,
  customerId: string,
  brandId: string | null = null,
): Promise<StoredConsent | undefined> {
  const [subject] = await sql<{ country: string; us_state: string | null; jurisdiction: string }[]>`
    select country, us_state, jurisdiction from consent_subjects where customer_id = ${customerId}`;
  if (!subject) return undefined;
  const history = (
    await sql<RecordRow[]>`
      select * from consent_records where customer_id = ${customerId} and brand_id is not distinct from ${brandId}::text
      order by recorded_at, id`
  ).map(toRecord);
  const place = { country: subject.country, ...(subject.us_state ? { usState: subject.us_state } : {}) };
  return {
    subject: { ...place, jurisdiction: subject.jurisdiction },
    effective: effectiveFor(place, history),
    history,
  };
}

export interface PropagationView {
  id: string;
  status: string;
  changes: ConsentChange[];
  createdAt: string;
  finishedAt?: string;
  systems: {
    connectorId: string;
    system: string;
    status: string;
    attempts: number;
    lastError?: string;
    evidence?: Record<string, string>;
    updatedAt: string;
  }[];
}

const parseJson = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

/** The person's latest propagations of one consent scope (the group's by default, or a separate-controller brand's). */
export async function readPropagations(
  sql: Sql,
  customerId: string,
  limit = 10,
  brandId: string | null = null,
): Promise<PropagationView[]> {
  const rows = await sql<
    { id: string; status: string; changes: unknown; created_at: Date | string; finished_at: Date | string | null }[]
  >`
    select id, status, changes, created_at, finished_at from consent_propagations
    where customer_id = ${customerId} and brand_id is not distinct from ${brandId}::text
    order by created_at desc limit ${limit}`;
  if (rows.length === 0) return [];
  const systems = await sql<
    {
      propagation_id: string;
      connector_id: string;
      system: string;
      status: string;
      attempts: number;
      last_error: string | null;
      evidence: unknown;
      updated_at: Date | string;
    }[]
  >`
    select * from consent_propagation_systems where propagation_id = any(${sql.array(rows.map((r) => r.id))}::text[]) order by connector_id`;
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    changes: parseJson<ConsentChange[]>(row.changes),
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.finished_at ? { finishedAt: new Date(row.finished_at).toISOString() } : {}),
    systems: systems
      .filter((s) => s.propagation_id === row.id)
      .map((s) => ({
        connectorId: s.connector_id,
        system: s.system,
        status: s.status,
        attempts: s.attempts,
        ...(s.last_error ? { lastError: s.last_error } : {}),
        ...(s.evidence ? { evidence: parseJson<Record<string, string>>(s.evidence) } : {}),
        updatedAt: new Date(s.updated_at).toISOString(),
      })),
  }));
}

/**
 * Effective consent for a purpose, per person, as SQL to use inside a region's query (segments):
 * a fragment that reads as a table `(customer_id uuid, state text)`, state 'granted' or 'denied',
 * with one row per person whose place is known (`consent_subjects`). It is domain/consent.ts
 * `effectiveConsent` in SQL: the latest record of the scope decides (at the same instant the more
 * restrictive: withdrawn, then denied), 'withdrawn' counts as denied, and with no record the
 * default of the person's jurisdiction applies (opt-in laws deny, the others grant).
 *
 * `consentBrand` is the scope: null for the group, or a brand that is a separate controller
 * (db/brands-store.ts `consentBrandOf(globalSql, segmentBrand)` gives it for any brand).
 *
 *   sql`select p.customer_id from profiles p
 *       join ${effectiveConsentSql(sql, { purpose: 'emailMarketing', consentBrand: null })} c
 *         on c.customer_id = p.customer_id
 *       where c.state = 'granted'`
 *
 * A person with no consent subject has no row: their law is not known, so nothing is granted.
 */
export function effectiveConsentSql(sql: Sql, scope: { purpose: Purpose; consentBrand: string | null }) {
  const jurisdictions = Object.keys(PRIVACY_POLICIES) as (keyof typeof PRIVACY_POLICIES)[];
  const defaults = jurisdictions.map((j) => defaultConsent(PRIVACY_POLICIES[j], scope.purpose));
  return sql`(
    select s.customer_id,
      coalesce(
        (select case when r.state = 'granted' then 'granted' else 'denied' end
           from consent_records r
           where r.customer_id = s.customer_id and r.purpose = ${scope.purpose}
             and r.brand_id is not distinct from ${scope.consentBrand}::text
           order by r.recorded_at desc, case r.state when 'withdrawn' then 2 when 'denied' then 1 else 0 end desc
           limit 1),
        d.state) as state
    from consent_subjects s
    left join unnest(${sql.array(jurisdictions)}::text[], ${sql.array(defaults)}::text[]) as d(jurisdiction, state)
      on d.jurisdiction = s.jurisdiction
  )`;
}

/**
 * Keeps what a person was shown and answered as the proof their consent records name (a lead form's
 * text and checkbox states; no personal values). Stored once per proof: a re-delivered lead changes nothing.
 */
export async function recordConsentEvidence(
  sql: Sql,
  evidence: {
    proof: { kind: string; reference: string };
    customerId: string;
    sourceId: string;
    at: string;
    shownSha256?: string;
    evidence: Record<string, unknown>;
  },
): Promise<void> {
  await sql`
    insert into consent_evidence (proof_kind, proof_reference, customer_id, source_id, shown_sha256, evidence, recorded_at)
    values (${evidence.proof.kind}, ${evidence.proof.reference}, ${evidence.customerId}, ${evidence.sourceId},
            ${evidence.shownSha256 ?? null}, ${JSON.stringify(evidence.evidence)}::text::jsonb, ${evidence.at})
    on conflict (proof_kind, proof_reference) do nothing`;
}

/** The evidence a consent record's proof names, or undefined. */
export async function readConsentEvidence(
  sql: Sql,
  proof: { kind: string; reference: string },
): Promise<{ customerId: string; sourceId: string; evidence: Record<string, unknown> } | undefined> {
  const [row] = await sql<{ customer_id: string; source_id: string; evidence: Record<string, unknown> }[]>`
    select customer_id::text, source_id, evidence from consent_evidence
    where proof_kind = ${proof.kind} and proof_reference = ${proof.reference}`;
  return row ? { customerId: row.customer_id, sourceId: row.source_id, evidence: row.evidence } : undefined;
}
