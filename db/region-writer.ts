import { causesOfCall } from '../domain/audience-dependencies';
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import { blindIndex, newDataKey, seal, sealJson, unwrapDataKey, wrapDataKey, type RegionKey } from './crypto-shredding';
import type { RegionPool, RegionalDb, GlobalDb } from './connections';
import { extractIdentifiers, Identifier, normaliseName, PhoneHint } from '../domain/identifiers';
import type { IdentityRules } from '../domain/identity-rules';
import { HeldMerge, IdentityGraph, Merge, Token } from '../domain/identity-resolution';
import { IdentityProvenance, isTrusted, strongerProvenance } from '../domain/identity-provenance';
import { frozenProfiles, takeErasureFence } from './erasure-store';
import { recordMerge } from './merge-requests-store';
import type { CanonicalOrder } from '../domain/commerce';
import type { TrackingCall } from '../domain/tracking';
import {
  ClassifiedLeaf,
  classifiedLeaves,
  CompiledRules,
  DataCategoryName,
  identifierCategory,
  nestLeaves,
  NO_RULES,
  ORDER_CATEGORIES,
} from '../domain/data-categories';

/**
 * The profile each customer ID names today (following merged_into), or null when there is none (or
 * the chain runs past 100 merges). One statement per hop for all the IDs at once: a batch of calls
 * for named profiles (a broadcast's delivery events) costs a round trip, not one per call.
 */
async function survivorsOf(tx: TransactionSql, customerIds: readonly string[]): Promise<Map<string, string | null>> {
  const survivors = new Map<string, string | null>();
  // Each asked ID and the profile its chain has reached so far.
  let reached = new Map([...new Set(customerIds)].map((id) => [id, id]));
  for (let hops = 0; hops < 100 && reached.size > 0; hops++) {
    const rows = await tx<{ customer_id: string; merged_into: string | null }[]>`
      select customer_id, merged_into from profiles where customer_id = any(${tx.array([...new Set(reached.values())])}::uuid[])`;
    const mergedInto = new Map(rows.map((r) => [r.customer_id, r.merged_into]));
    const onward = new Map<string, string>();
    for (const [asked, current] of reached) {
      if (!mergedInto.has(current)) survivors.set(asked, null);
      else {
        const into = mergedInto.get(current);
        if (!into || into === current) survivors.set(asked, current);
        else onward.set(asked, into);
      }
    }
    reached = onward;
  }
  for (const asked of reached.keys()) survivors.set(asked, null);
  return survivors;
}

/**
 * The hot path of ingestion for one region (DESIGN.md, rule 3): calls from many concurrent
 * requests are gathered and written in one transaction (group commit), resolved to profiles
 * (One ID) on the way, with every personal value sealed under its profile's data key. A
 * request's promise resolves only after its events are durably committed.
 */

export interface IncomingCall {
  sourceId: string;
  /**
   * Who vouches for the identifiers the call carries: the source's kind for tracked calls,
   * `connector` for synced records. Unset means `browser`, the value that trusts least.
   */
  provenance?: IdentityProvenance;
  /** For an order, an identify call carrying the buyer's identifiers, resolved like any other. */
  call: TrackingCall;
  /** Set for an order version from a connector: stored as an order row instead of an event. */
  order?: OrderWrite;
  /**
   * A call Meridian records itself about a profile it already knows (a message's delivery event,
   * activities/channels/delivery-events.ts): no identifier is resolved, the event goes to this
   * profile, or to the one it was merged into. A profile that does not exist here is rejected.
   */
  customerId?: string;
}

/** An order and its amount in the reporting currency (null, with the problem, when no rate was found). */
export interface OrderWrite {
  order: CanonicalOrder;
  reporting: {
    currency: string;
    minor: bigint | null;
    rate?: string;
    rateDate?: string;
    fallback?: boolean;
    problem?: string;
  };
}

/** `eventId` is set for calls stored as events, not for orders. */
/**
 * `suppressed`: the person has a deletion request under way, so their call was not stored
 * (DESIGN.md: suppression stops ingestion at once); the message ID is kept, so it stays a duplicate.
 */
/**
 * `rejected`: the call resolved to a profile that was erased (its data key destroyed); nothing of
 * it was stored, and the other calls of the same group commit are not affected.
 */
export type CallOutcome =
  | { status: 'stored'; customerId: string; eventId?: string }
  | { status: 'suppressed'; customerId: string }
  | { status: 'rejected'; reason: string }
  | { status: 'duplicate' };

export interface RegionWriterDeps {
  region: string;
  pool: RegionPool<RegionalDb>;
  globalSql: Sql;
  regionKey: RegionKey;
  hmacKey: Buffer;
  rules: () => IdentityRules;
  /** Called after a commit that recorded merge requests, so they are started promptly. */
  onMergesRecorded?: () => void;
  maxBatch?: number;
  /**
   * The workspace's data-schema rules in force (db/data-schema-store.ts): they decide which traits and
   * properties are also stored queryable. Unset: the built-in defaults alone.
   */
  classification?: () => CompiledRules;
  /**
   * Record who changed in `audience_changes`, in the commit (the audience processor's outbox).
   * Off only to measure ingest without it (MERIDIAN_AUDIENCES=off); on by default.
   */
  audienceChanges?: boolean;
}

/** What one transaction learned; kept only once it commits (a rolled-back profile must not leave a cached key). */
interface CommitState {
  keys: Map<string, Buffer>;
  /** Data flows (source, scope, category) this commit recorded. */
  flows: string[];
  /** Merges it recorded (their workflows start from the outbox once it commits). */
  merges: number;
}

const newCommitState = (): CommitState => ({ keys: new Map(), flows: [], merges: 0 });

/** What a call holds, by category (domain/data-categories.ts): what is queryable, and what the data map records. */
interface ClassifiedCall {
  /** identify: the traits (context.traits under the call's own); other calls: context.traits, for the data map only. */
  traits: ClassifiedLeaf[];
  /** track, page, screen: the properties. */
  properties: ClassifiedLeaf[];
  /** The rest of the context (ip, device, location …), classified as `context.<key>`, for the data map only. */
  context: ClassifiedLeaf[];
}

/** Calls written inside a caller's transaction (RegionWriter.writeInTransaction). */
export interface TransactionWrite {
  /** Per request, in the order given (empty for a refused request). */
  outcomes: CallOutcome[][];
  /** Requests PostgreSQL refused (data errors), by index: nothing of them was written. */
  refused: Map<number, unknown>;
  /** To call once the transaction ended (committed or not). */
  settle: (committed: boolean) => void;
}

interface Pending {
  items: IncomingCall[];
  resolve: (outcomes: CallOutcome[]) => void;
  reject: (error: unknown) => void;
}

interface PreparedCall {
  index: number;
  item: IncomingCall;
  tokens: Token[];
  values: Map<string, Identifier>;
}

const DEFAULT_MAX_BATCH = 2000;
const MAX_CONCURRENT_COMMITS = 2;
const COMMIT_ATTEMPTS = 3;
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Traits holding a person's name: stored in Unicode NFC, whatever the script. */
const NAME_TRAITS = new Set([
  'name',
  'firstName',
  'lastName',
  'first_name',
  'last_name',
  'displayName',
  'display_name',
]);
const DATA_KEY_CACHE = 50_000;
/** A data flow this process recorded is written again after this long, so its last_seen_at stays roughly current. */
const DATA_FLOW_REFRESH_MS = 60 * 60_000;
/**
 * How long an unwrapped data key stays in this process's memory after it was unwrapped. An erasure
 * destroys the wrapped key in the database and evicts it from the erasing worker's cache at once;
 * every other process (web servers, other workers) drops it within this time.
 */
export const DATA_KEY_TTL_MS = 10 * 60_000;

const tokenKey = (t: Token) => `${t.type}:${t.key}`;

export class RegionWriter {
  private queue: Pending[] = [];
  private queuedCalls = 0;
  private readonly inflight = new Set<{ tokens: Set<string>; done: Promise<void> }>();
  private readonly dataKeys = new Map<string, { key: Buffer; until: number }>();
  private readonly partitions = new Set<string>();
  private readonly creatingPartitions = new Map<string, Promise<void>>();
  private readonly lastTouched = new Map<string, number>();
  /** Data flows (source, scope, category) recorded, and when: only new ones are written (once an hour again). */
  private readonly flowsRecorded = new Map<string, number>();

  constructor(private readonly deps: RegionWriterDeps) {}

  /** Calls waiting for a commit: the HTTP layer sheds load (429) when this grows too large. */
  get backlog(): number {
    return this.queuedCalls;
  }

  write(items: IncomingCall[]): Promise<CallOutcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queuedCalls += items.length;
      this.pump();
    });
  }

  /**
   * Starts commits while fewer than MAX_CONCURRENT_COMMITS run. Calls waiting meanwhile form
   * the next, larger batch (group commit). A batch that shares an identifier with a running
   * commit waits for it, so two transactions never resolve the same identifier at once.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.inflight.size < MAX_CONCURRENT_COMMITS) {
      const batch: Pending[] = [];
      let size = 0;
      const max = this.deps.maxBatch ?? DEFAULT_MAX_BATCH;
      while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0]!.items.length <= max)) {
        const next = this.queue.shift()!;
        batch.push(next);
        size += next.items.length;
      }
      this.queuedCalls -= size;
      const items = batch.flatMap((p) => p.items);
      let prepared: PreparedCall[];
      try {
        prepared = this.prepare(items);
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      const flight = this.reserve(prepared);
      void (async () => {
        await flight.ready;
        try {
          const outcomes = await this.commitWithRetry(prepared, items.length);
          let offset = 0;
          for (const p of batch) {
            p.resolve(outcomes.slice(offset, offset + p.items.length));
            offset += p.items.length;
          }
        } catch (error) {
          if (batch.length > 1 && isDataError(error)) {
            // One request's data broke the shared transaction: commit each request alone, so only
            // the request at fault fails and every other client's events are stored.
            for (const p of batch) {
              try {
                p.resolve(await this.commitWithRetry(this.prepare(p.items), p.items.length));
              } catch (own) {
                p.reject(own);
              }
            }
          } else {
            for (const p of batch) p.reject(error);
          }
        } finally {
          flight.release();
        }
      })();
    }
  }

  /**
   * A commit in flight over these calls' identifiers: `ready` once every commit already in flight
   * that shares one of them has ended (two transactions never resolve the same identifier at once).
   * `release` ends it and lets the next commits start.
   */
  private reserve(prepared: PreparedCall[]): { ready: Promise<void>; release: () => void } {
    const tokens = new Set(prepared.flatMap((p) => p.tokens.map(tokenKey)));
    const before = [...this.inflight].filter((f) => [...tokens].some((t) => f.tokens.has(t))).map((f) => f.done);
    let end!: () => void;
    const flight = { tokens, done: new Promise<void>((resolve) => (end = resolve)) };
    this.inflight.add(flight);
    let released = false;
    return {
      ready: Promise.all(before).then(() => undefined),
      release: () => {
        if (released) return;
        released = true;
        this.inflight.delete(flight);
        end();
        this.pump();
      },
    };
  }

  /**
   * Writes requests inside the caller's transaction `tx`, so what the caller does in it commits
   * with them (the intake processor deletes the rows it claimed: stored and consumed at once). One
   * dedupe, one identity lookup (region and global index), one resolution in call order and
   * multi-row writes for all of them, classified under `classification` (one data-schema version
   * for the whole set). A request whose data PostgreSQL refuses is left out alone (savepoints) and
   * named in `refused`; any other failure is thrown, and `tx` must then roll back.
   *
   * `reserved` is called once its identifiers are reserved: a write begun after that which shares
   * one waits for this one's `settle`. The caller calls `settle(committed)` once `tx` has ended: only then are its data keys cached
   * and its merges started, and commits sharing its identifiers may go on.
   */
  async writeInTransaction(
    tx: TransactionSql,
    requests: IncomingCall[][],
    classification?: CompiledRules,
    reserved?: () => void,
  ): Promise<TransactionWrite> {
    const rules = classification ?? this.deps.classification?.() ?? NO_RULES;
    const all = this.prepare(requests.flat());
    const flight = this.reserve(all);
    reserved?.();
    const states: CommitState[] = [];
    try {
      await flight.ready;
      await this.ensurePartitions(new Set(all.map((p) => monthStart(p.item.call.receivedAt))));
      const attempt = async (prepared: PreparedCall[], count: number) => {
        const state = newCommitState();
        const outcomes = await tx.savepoint((sp) => this.writeCalls(sp, state, prepared, count, rules));
        states.push(state);
        return outcomes;
      };
      const outcomes: CallOutcome[][] = new Array(requests.length);
      const refused = new Map<number, unknown>();
      // A request whose data PostgreSQL refuses breaks the set: it is found by halving (the halves in
      // log order), so only the one at fault is left out, in a few attempts however large the set.
      const write = async (first: number, end: number, prepared?: PreparedCall[]): Promise<void> => {
        const part = requests.slice(first, end);
        try {
          const flat = await attempt(prepared ?? this.prepare(part.flat()), sum(part.map((r) => r.length)));
          let offset = 0;
          for (const [i, request] of part.entries()) {
            outcomes[first + i] = flat.slice(offset, offset + request.length);
            offset += request.length;
          }
        } catch (error) {
          if (!isDataError(error)) throw error;
          if (end - first === 1) {
            refused.set(first, error);
            outcomes[first] = [];
            return;
          }
          const middle = first + Math.ceil((end - first) / 2);
          await write(first, middle);
          await write(middle, end);
        }
      };
      await write(0, requests.length, all);
      return {
        outcomes,
        refused,
        settle: (committed) => {
          if (committed) for (const state of states) this.committed(state);
          flight.release();
        },
      };
    } catch (error) {
      flight.release();
      throw error;
    }
  }

  /**
   * A deadlock or serialisation failure between concurrent commits, or an identifier registered by
   * another region at the same moment, is retried: the transaction left nothing behind.
   */
  private async commitWithRetry(prepared: PreparedCall[], count: number): Promise<CallOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commit(prepared, count);
      } catch (error) {
        const code = (error as { code?: string }).code;
        const retryable = code === '40P01' || code === '40001' || error instanceof IdentityRace;
        if (attempt >= COMMIT_ATTEMPTS || !retryable) throw error;
      }
    }
  }

  private prepare(items: IncomingCall[]): PreparedCall[] {
    const rules = this.deps.rules();
    // A person's identifiers recur across a batch's calls: each distinct value is keyed (HMAC) once.
    const keyed = new Map<string, string>();
    const blind = (type: string, value: string) => {
      const k = `${type}\u0000${value}`;
      let key = keyed.get(k);
      if (key === undefined) keyed.set(k, (key = blindIndex(this.deps.hmacKey, type, value).toString('hex')));
      return key;
    };
    return items.map((item, index) => {
      const { call } = item;
      const hint = phoneHint(call);
      const { identifiers } = extractIdentifiers(
        { userId: call.userId, anonymousId: call.anonymousId, traits: call.traits, context: call.context },
        hint,
        { ...rules.email, blocked: rules.blockedValues },
      );
      // alias: previousId names an earlier identity of the same person (usually anonymous).
      if (call.type === 'alias' && call.previousId) identifiers.push({ type: 'anonymous_id', value: call.previousId });
      const values = new Map<string, Identifier>();
      const tokens: Token[] = [];
      for (const id of identifiers) {
        const token = { type: id.type, key: blind(id.type, id.value) };
        if (values.has(tokenKey(token))) continue;
        values.set(tokenKey(token), id);
        tokens.push(token);
      }
      return { index, item, tokens, values };
    });
  }

  private async commit(prepared: PreparedCall[], count: number): Promise<CallOutcome[]> {
    await this.ensurePartitions(new Set(prepared.map((p) => monthStart(p.item.call.receivedAt))));
    const rules = this.deps.classification?.() ?? NO_RULES;
    const state = newCommitState();
    const outcomes = await this.deps.pool.sql.begin((tx) => this.writeCalls(tx, state, prepared, count, rules));
    this.committed(state);
    return outcomes;
  }

  /** What a committed transaction learned: its data keys and flows are cached, its merges started. */
  private committed(state: CommitState): void {
    for (const [id, key] of state.keys) this.rememberKey(id, key);
    const now = Date.now();
    if (this.flowsRecorded.size > DATA_KEY_CACHE) this.flowsRecorded.clear();
    for (const flow of state.flows) this.flowsRecorded.set(flow, now);
    if (state.merges > 0) this.deps.onMergesRecorded?.();
  }

  /**
   * Dedupes, resolves (One ID over the whole set, in call order) and writes `prepared` inside `tx`;
   * what the transaction learns goes into `state`, to be kept only once it commits.
   */
  private async writeCalls(
    tx: TransactionSql,
    state: CommitState,
    prepared: PreparedCall[],
    count: number,
    rules: CompiledRules,
  ): Promise<CallOutcome[]> {
    const outcomes: CallOutcome[] = new Array(count).fill({ status: 'duplicate' });
    // Duplicates inside the batch: the first (source, messageId) wins.
    const firstSeen = new Map<string, PreparedCall>();
    for (const p of prepared) {
      const k = `${p.item.sourceId}\u0000${p.item.call.messageId}`;
      if (!firstSeen.has(k)) firstSeen.set(k, p);
    }
    const candidates = [...firstSeen.values()];

    const merges: Merge[] = [];
    // Duplicates across time: the message ID table, inside this transaction.
    const fresh = await this.claimMessageIds(tx, candidates);
    const calls = candidates.filter((p) => fresh.has(`${p.item.sourceId}\u0000${p.item.call.messageId}`));
    if (calls.length === 0) return outcomes;

    const tokens = dedupeTokens(calls.flatMap((p) => p.tokens));
    const { graph, provenance: stored } = await this.loadGraph(tx, tokens);
    // Tokens new to this region may be known in another: they point to that person's customer ID.
    const globalOwners = await this.lookupGlobal(tokens.filter((t) => !graph.ownerOf(t)));
    const globalOnly = new Set<string>();
    for (const token of tokens) {
      const owner = globalOwners.get(tokenKey(token));
      if (owner && !graph.ownerOf(token)) {
        graph.add(owner, token);
        globalOnly.add(tokenKey(token));
      }
    }

    // The erasure fence, then who may not change: people under a deletion request (suppressed)
    // and people already erased. They take part in no merge and nothing of theirs is written.
    // Calls for a named profile: the profile that survives its merges, when it exists here.
    const named = new Map<PreparedCall, string | null>();
    const survivors = await survivorsOf(
      tx,
      calls.flatMap((p) => (p.item.customerId ? [p.item.customerId] : [])),
    );
    for (const p of calls) if (p.item.customerId) named.set(p, survivors.get(p.item.customerId) ?? null);
    const known = [...new Set([...graph.customers(), ...[...named.values()].filter((id): id is string => !!id)])];
    await takeErasureFence(tx, known, 'shared');
    const { suppressed, shredded } = await frozenProfiles(tx, known);
    for (const id of [...suppressed, ...shredded]) graph.freeze(id);
    if (shredded.size > 0) this.forgetKeys([...shredded]);

    const held: (HeldMerge & { sourceId: string })[] = [];
    const missing = calls.filter((p) => named.get(p) === null);
    for (const p of missing)
      outcomes[p.index] = { status: 'rejected', reason: 'the profile this call names does not exist in this region' };
    const resolved = calls
      .filter((p) => named.get(p) !== null)
      .map((p) => {
        const own = named.get(p);
        if (own) return { p, customerId: own, store: [] as Token[] };
        const r = graph.resolve(p.tokens, randomUUID, { unverifiedClaims: !isTrusted(provenanceOf(p)) });
        merges.push(...r.merges);
        held.push(...r.held.map((h) => ({ ...h, sourceId: p.item.sourceId })));
        // Identities to store here: new ones, and those this region has not seen before.
        const store = [
          ...r.attached,
          ...p.tokens.filter((t) => globalOnly.has(tokenKey(t)) && graph.ownerOf(t) === r.customerId),
        ];
        for (const t of store) globalOnly.delete(tokenKey(t));
        return { p, customerId: r.customerId, store };
      });

    for (const r of resolved) {
      if (shredded.has(r.customerId))
        outcomes[r.p.index] = {
          status: 'rejected',
          reason: 'the person this call names was erased: nothing of it was stored',
        };
      else if (suppressed.has(r.customerId)) outcomes[r.p.index] = { status: 'suppressed', customerId: r.customerId };
    }
    const taken = resolved.filter((r) => !shredded.has(r.customerId) && !suppressed.has(r.customerId));
    const customerIds = [...new Set(taken.map((r) => r.customerId))];
    const newHere = await this.ensureProfiles(tx, state, customerIds);

    // Provenance: the strongest source in this batch that said the token is its profile's.
    const asserted = new Map<string, IdentityProvenance>();
    for (const r of taken) {
      for (const t of r.p.tokens) {
        if (graph.ownerOf(t) !== r.customerId) continue;
        const k = tokenKey(t);
        asserted.set(k, strongerProvenance(asserted.get(k) ?? 'browser', provenanceOf(r.p)));
      }
    }
    const storing = new Set(taken.flatMap((r) => r.store.map(tokenKey)));
    const upgrades = new Map<string, { t: Token; customerId: string; provenance: IdentityProvenance }>();
    for (const r of taken) {
      for (const t of r.p.tokens) {
        const k = tokenKey(t);
        if (
          stored.get(k) !== 'browser' ||
          storing.has(k) ||
          graph.ownerOf(t) !== r.customerId ||
          !isTrusted(asserted.get(k)!)
        )
          continue;
        upgrades.set(k, { t, customerId: r.customerId, provenance: asserted.get(k)! });
      }
    }

    // Independent writes, pipelined on the transaction's connection.
    const asEvents = taken.filter((r) => !r.p.item.order);
    const asOrders = taken.filter((r) => r.p.item.order);
    const classified = new Map(asEvents.map((r) => [r.p, classifyCall(r.p.item.call, rules)]));
    // Every one settles before the transaction is left: on a failure, a write still running on the
    // global pool (registerGlobally) must land before the requests are retried on their own, or a
    // retry would miss it, register another customer ID for the same identifier, and lose to it.
    const [, , eventIds] = await allSettledOrFirstError([
      this.insertIdentities(tx, state, taken, asserted)
        .then(() => this.upgradeProvenance(tx, [...upgrades.values()]))
        .then(() => this.applyMerges(tx, merges))
        .then(() => this.holdMerges(tx, held)),
      this.upsertTraits(tx, state, asEvents),
      this.insertEvents(tx, state, asEvents, classified),
      this.upsertOrders(tx, asOrders),
      this.upsertProfileTraits(tx, asEvents, classified),
      this.recordDataFlows(tx, state, taken, classified),
      this.touchProfiles(tx, customerIds, newHere),
      this.recordAudienceChanges(tx, taken),
      // Global index (idempotent) before the commit: a crash after it only leaves tokens that
      // point to a customer ID this region will create on the next event.
      this.registerGlobally(
        [
          ...taken.flatMap((r) =>
            r.store.map((t) => ({
              t,
              customerId: r.customerId,
              provenance: asserted.get(tokenKey(t)) ?? provenanceOf(r.p),
            })),
          ),
          ...upgrades.values(),
        ],
        newHere,
        storing,
      ),
    ]);
    asEvents.forEach(
      (r, i) => (outcomes[r.p.index] = { status: 'stored', customerId: r.customerId, eventId: eventIds[i]! }),
    );
    for (const r of asOrders) outcomes[r.p.index] = { status: 'stored', customerId: r.customerId };
    state.merges += merges.length;
    return outcomes;
  }

  private async lookupGlobal(tokens: Token[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (tokens.length === 0) return owners;
    const rows = await this.deps.globalSql<{ type: string; key: string; customer_id: string }[]>`
      select i.type, encode(i.blind_index, 'hex') as key, coalesce(c.merged_into, i.customer_id) as customer_id
      from identity_index i
      join unnest(${arr(
        this.deps.globalSql,
        tokens.map((t) => t.type),
      )}::text[], ${hexBytes(tokens.map((t) => t.key))}::bytea[]) as q(type, blind_index)
        on i.type = q.type and i.blind_index = q.blind_index
      left join customers c on c.customer_id = i.customer_id`;
    for (const row of rows) owners.set(`${row.type}:${row.key}`, row.customer_id);
    return owners;
  }

  private async claimMessageIds(tx: TransactionSql, unordered: PreparedCall[]): Promise<Set<string>> {
    // Inserted in key order, so concurrent commits take these locks in the same order.
    const calls = [...unordered].sort((a, b) => compare(claimKey(a), claimKey(b)));
    const rows = await tx<{ source_id: string; message_id: string }[]>`
      insert into event_message_ids (source_id, message_id, received_at)
      select * from unnest(
        ${arr(
          tx,
          calls.map((p) => p.item.sourceId),
        )}::text[],
        ${arr(
          tx,
          calls.map((p) => p.item.call.messageId),
        )}::text[],
        ${timestamps(calls.map((p) => p.item.call.receivedAt))}::timestamptz[])
      on conflict do nothing
      returning source_id, message_id`;
    return new Set(rows.map((r) => `${r.source_id}\u0000${r.message_id}`));
  }

  /** Loads the profiles that hold any of the tokens, with all their identities (for limits and protection) and how each is vouched for. */
  private async loadGraph(
    tx: TransactionSql,
    tokens: Token[],
  ): Promise<{ graph: IdentityGraph; provenance: Map<string, IdentityProvenance> }> {
    const graph = new IdentityGraph(this.deps.rules());
    const provenance = new Map<string, IdentityProvenance>();
    if (tokens.length === 0) return { graph, provenance };
    const rows = await tx<{ customer_id: string; type: string; key: string; provenance: IdentityProvenance }[]>`
      with owners as (
        select distinct i.customer_id from identities i
        join unnest(${arr(
          tx,
          tokens.map((t) => t.type),
        )}::text[], ${hexBytes(tokens.map((t) => t.key))}::bytea[]) as q(type, blind_index)
          on i.type = q.type and i.blind_index = q.blind_index
      )
      select i.customer_id, i.type, encode(i.blind_index, 'hex') as key, i.provenance
      from identities i join owners o on o.customer_id = i.customer_id`;
    for (const row of rows) {
      graph.add(row.customer_id, { type: row.type, key: row.key });
      provenance.set(`${row.type}:${row.key}`, row.provenance);
    }
    return { graph, provenance };
  }

  /** Loads (or creates) the data keys of the profiles; returns the profiles new to this region. */
  private async ensureProfiles(tx: TransactionSql, state: CommitState, customerIds: string[]): Promise<string[]> {
    // Keys still cached are taken into this transaction, so one expiring meanwhile is not missed.
    const missing = customerIds.filter((id) => {
      const key = this.cachedKey(id);
      if (key) state.keys.set(id, key);
      return !key;
    });
    if (missing.length === 0) return [];
    const rows = await tx<{ customer_id: string; data_key_wrapped: Buffer | null }[]>`
      select customer_id, data_key_wrapped from profiles where customer_id = any(${uuids(tx, missing)}::uuid[])`;
    const found = new Set<string>();
    for (const row of rows) {
      found.add(row.customer_id);
      if (row.data_key_wrapped)
        state.keys.set(row.customer_id, unwrapDataKey(this.deps.regionKey, row.data_key_wrapped, row.customer_id));
    }
    const created = missing.filter((id) => !found.has(id));
    if (created.length === 0) return [];
    const keys = new Map(created.map((id) => [id, newDataKey()]));
    const wrapped = new Map(created.map((id) => [id, wrapDataKey(this.deps.regionKey, keys.get(id)!, id)]));
    // last_seen_at is now() by default: these need no touch in this transaction.
    const inserted = await tx<{ customer_id: string }[]>`
      insert into profiles (customer_id, data_key_wrapped)
      select * from unnest(${uuids(tx, created)}::uuid[], ${bytes([...wrapped.values()])}::bytea[])
      on conflict (customer_id) do nothing
      returning customer_id`;
    for (const row of inserted) state.keys.set(row.customer_id, keys.get(row.customer_id)!);
    // Another writer may have created some of them first: its key is the one that counts.
    if (inserted.length < created.length) {
      const ours = new Set(inserted.map((row) => row.customer_id));
      const stored = await tx<{ customer_id: string; data_key_wrapped: Buffer }[]>`
        select customer_id, data_key_wrapped from profiles
        where customer_id = any(${uuids(
          tx,
          created.filter((id) => !ours.has(id)),
        )}::uuid[])`;
      for (const row of stored)
        state.keys.set(row.customer_id, unwrapDataKey(this.deps.regionKey, row.data_key_wrapped, row.customer_id));
    }
    return created;
  }

  private rememberKey(customerId: string, key: Buffer): void {
    // A key already cached keeps the time it was unwrapped: use does not stretch its stay.
    if (this.cachedKey(customerId)) return;
    if (this.dataKeys.size >= DATA_KEY_CACHE) this.dataKeys.delete(this.dataKeys.keys().next().value!);
    this.dataKeys.set(customerId, { key, until: Date.now() + DATA_KEY_TTL_MS });
  }

  private cachedKey(customerId: string): Buffer | undefined {
    const entry = this.dataKeys.get(customerId);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.key;
    this.dataKeys.delete(customerId);
    return undefined;
  }

  /** Whether this process still holds the unwrapped data key of a profile (for the erasure's read-back and its tests). */
  holdsKey(customerId: string): boolean {
    return this.cachedKey(customerId) !== undefined;
  }

  /** Forgets cached data keys (after an erasure, so a shredded key is never used again). */
  forgetKeys(customerIds: string[]): void {
    for (const id of customerIds) this.dataKeys.delete(id);
  }

  private keyOf(state: CommitState, customerId: string): Buffer {
    const key = state.keys.get(customerId) ?? this.cachedKey(customerId);
    if (!key) throw new Error(`profile ${customerId} has no data key (erased?)`);
    return key;
  }

  private async insertIdentities(
    tx: TransactionSql,
    state: CommitState,
    resolved: { p: PreparedCall; customerId: string; store: Token[] }[],
    asserted: Map<string, IdentityProvenance>,
  ): Promise<void> {
    const rows = resolved.flatMap((r) =>
      r.store.map((t) => {
        const id = r.p.values.get(tokenKey(t))!;
        return {
          customerId: r.customerId,
          type: t.type,
          blindIndex: t.key,
          sealed: seal(this.keyOf(state, r.customerId), id.value, `identity:${r.customerId}:${t.type}`),
          sourceId: r.p.item.sourceId,
          provenance: asserted.get(tokenKey(t)) ?? provenanceOf(r.p),
        };
      }),
    );
    if (rows.length === 0) return;
    // Hex of equal length sorts as its bytes do.
    rows.sort((a, b) => compare(a.type, b.type) || compare(a.blindIndex, b.blindIndex));
    await tx`
      insert into identities (customer_id, type, blind_index, value_sealed, sealed_with, source_id, provenance)
      select c, t, b, v, c, s, pr from unnest(
        ${uuids(
          tx,
          rows.map((r) => r.customerId),
        )}::uuid[], ${arr(
          tx,
          rows.map((r) => r.type),
        )}::text[], ${hexBytes(rows.map((r) => r.blindIndex))}::bytea[],
        ${bytes(rows.map((r) => r.sealed))}::bytea[], ${arr(
          tx,
          rows.map((r) => r.sourceId),
        )}::text[], ${arr(
          tx,
          rows.map((r) => r.provenance),
        )}::text[]) as u(c, t, b, v, s, pr)
      on conflict (type, blind_index) do nothing`;
  }

  /** A server, connector or person now vouches for an identifier a browser only claimed. */
  private async upgradeProvenance(
    tx: TransactionSql,
    upgrades: { t: Token; customerId: string; provenance: IdentityProvenance }[],
  ): Promise<void> {
    if (upgrades.length === 0) return;
    const rows = [...upgrades].sort((a, b) => compare(a.t.type, b.t.type) || compare(a.t.key, b.t.key));
    await tx`
      update identities i set provenance = u.pr
      from unnest(${arr(
        tx,
        rows.map((r) => r.t.type),
      )}::text[], ${hexBytes(rows.map((r) => r.t.key))}::bytea[],
                  ${arr(
                    tx,
                    rows.map((r) => r.customerId),
                  )}::uuid[], ${arr(
                    tx,
                    rows.map((r) => r.provenance),
                  )}::text[]) as u(t, b, c, pr)
      where i.type = u.t and i.blind_index = u.b and i.customer_id = u.c and i.provenance = 'browser'`;
  }

  /** Links that wait for an operator (GET /admin/held-merges); a pair already held or decided is left as it is. */
  private async holdMerges(tx: TransactionSql, held: (HeldMerge & { sourceId: string })[]): Promise<void> {
    if (held.length === 0) return;
    await tx`
      insert into held_merges (from_customer_id, into_customer_id, linked_by, source_id)
      select * from unnest(${arr(
        tx,
        held.map((h) => h.from),
      )}::uuid[], ${arr(
        tx,
        held.map((h) => h.into),
      )}::uuid[],
                           ${arr(
                             tx,
                             held.map((h) => h.linkedBy),
                           )}::text[], ${arr(
                             tx,
                             held.map((h) => h.sourceId),
                           )}::text[])
      on conflict (from_customer_id, into_customer_id) do nothing`;
  }

  /**
   * Re-points the merged profile's identities at once, so the next event resolves to the
   * survivor; the identity-merge workflow (started from the outbox) does the rest.
   */
  private async applyMerges(tx: TransactionSql, merges: Merge[]): Promise<void> {
    for (const m of merges) await recordMerge(tx, m);
  }

  private async upsertTraits(
    tx: TransactionSql,
    state: CommitState,
    resolved: { p: PreparedCall; customerId: string }[],
  ): Promise<void> {
    // Newest value per (profile, trait) within the batch; the database keeps the newest overall.
    const latest = new Map<string, { customerId: string; name: string; value: unknown; at: Date; sourceId: string }>();
    for (const r of resolved) {
      const { call } = r.p.item;
      if (call.type !== 'identify') continue;
      const traitsIn = { ...((call.context.traits as Record<string, unknown>) ?? {}), ...call.traits };
      for (const [name, raw] of Object.entries(traitsIn)) {
        const value = NAME_TRAITS.has(name) && typeof raw === 'string' ? normaliseName(raw) : raw;
        const k = `${r.customerId}\u0000${name}`;
        const prev = latest.get(k);
        if (!prev || prev.at <= call.timestamp)
          latest.set(k, { customerId: r.customerId, name, value, at: call.timestamp, sourceId: r.p.item.sourceId });
      }
    }
    const rows = [...latest.values()].sort((a, b) => compare(a.customerId, b.customerId) || compare(a.name, b.name));
    if (rows.length === 0) return;
    const trust = JSON.stringify(this.deps.rules().sourceTrust);
    await tx`
      insert into traits (customer_id, name, value_sealed, sealed_with, observed_at, source_id)
      select c, n, v, c, o, s from unnest(
        ${uuids(
          tx,
          rows.map((r) => r.customerId),
        )}::uuid[], ${arr(
          tx,
          rows.map((r) => r.name),
        )}::text[],
        ${bytes(rows.map((r) => sealJson(this.keyOf(state, r.customerId), r.value, `trait:${r.customerId}:${r.name}`)))}::bytea[],
        ${timestamps(rows.map((r) => r.at))}::timestamptz[], ${arr(
          tx,
          rows.map((r) => r.sourceId),
        )}::text[]) as u(c, n, v, o, s)
      on conflict (customer_id, name) do update set
        value_sealed = excluded.value_sealed, sealed_with = excluded.sealed_with,
        observed_at = excluded.observed_at, source_id = excluded.source_id
      where traits.observed_at < excluded.observed_at
         or (traits.observed_at = excluded.observed_at
             and coalesce((${trust}::jsonb ->> excluded.source_id)::numeric, 0) > coalesce((${trust}::jsonb ->> traits.source_id)::numeric, 0))`;
  }

  /**
   * The non-identifying traits of identify calls, queryable by customer ID (one row per dot path),
   * reconciled as `traits` is: newest wins, then the more trusted source.
   */
  private async upsertProfileTraits(
    tx: TransactionSql,
    resolved: { p: PreparedCall; customerId: string }[],
    classified: Map<PreparedCall, ClassifiedCall>,
  ): Promise<void> {
    const latest = new Map<
      string,
      { customerId: string; key: string; value: string; category: string; at: Date; sourceId: string }
    >();
    for (const r of resolved) {
      const { call } = r.p.item;
      if (call.type !== 'identify') continue;
      for (const leaf of classified.get(r.p)!.traits) {
        const value = queryableJson(leaf);
        if (value === undefined) continue;
        const k = `${r.customerId}\u0000${leaf.path}`;
        const prev = latest.get(k);
        if (!prev || prev.at <= call.timestamp)
          latest.set(k, {
            customerId: r.customerId,
            key: leaf.path,
            value,
            category: leaf.category,
            at: call.timestamp,
            sourceId: r.p.item.sourceId,
          });
      }
    }
    if (latest.size === 0) return;
    const rows = [...latest.values()].sort((a, b) => compare(a.customerId, b.customerId) || compare(a.key, b.key));
    const trust = JSON.stringify(this.deps.rules().sourceTrust);
    await tx`
      insert into profile_traits (customer_id, key, value, category, source_id, observed_at)
      select c, k, v::jsonb, ca, s, o from unnest(
        ${arr(
          tx,
          rows.map((r) => r.customerId),
        )}::uuid[], ${arr(
          tx,
          rows.map((r) => r.key),
        )}::text[], ${arr(
          tx,
          rows.map((r) => r.value),
        )}::text[],
        ${arr(
          tx,
          rows.map((r) => r.category),
        )}::text[], ${arr(
          tx,
          rows.map((r) => r.sourceId),
        )}::text[], ${arr(
          tx,
          rows.map((r) => r.at.toISOString()),
        )}::timestamptz[]) as u(c, k, v, ca, s, o)
      on conflict (customer_id, key) do update set
        value = excluded.value, category = excluded.category, source_id = excluded.source_id, observed_at = excluded.observed_at
      where profile_traits.observed_at < excluded.observed_at
         or (profile_traits.observed_at = excluded.observed_at
             and coalesce((${trust}::jsonb ->> excluded.source_id)::numeric, 0) > coalesce((${trust}::jsonb ->> profile_traits.source_id)::numeric, 0))`;
  }

  /**
   * The data map (GET /admin/data-map): which categories each source brought into this region. Only
   * flows this process has not recorded within the hour are written, so a steady stream of the same
   * shapes costs no statement at all.
   */
  private async recordDataFlows(
    tx: TransactionSql,
    state: CommitState,
    taken: { p: PreparedCall; customerId: string }[],
    classified: Map<PreparedCall, ClassifiedCall>,
  ): Promise<void> {
    const now = Date.now();
    // The (scope, category) pairs per source, gathered without building a string per leaf: a batch
    // has thousands of calls but only a handful of distinct flows.
    const seen = new Map<string, Map<string, Set<DataCategoryName>>>();
    const add = (sources: Map<string, Set<DataCategoryName>>, scope: string, category: DataCategoryName) => {
      let categories = sources.get(scope);
      if (!categories) sources.set(scope, (categories = new Set()));
      categories.add(category);
    };
    for (const r of taken) {
      const { sourceId } = r.p.item;
      let sources = seen.get(sourceId);
      if (!sources) seen.set(sourceId, (sources = new Map()));
      for (const id of r.p.values.values()) add(sources, 'identifiers', identifierCategory(id.type));
      if (r.p.item.order) {
        // An order is money and a purchase, whatever the workspace's rules say of its fields.
        for (const category of ORDER_CATEGORIES) add(sources, 'orders', category);
        continue;
      }
      const c = classified.get(r.p)!;
      for (const leaf of c.traits) add(sources, 'traits', leaf.category);
      for (const leaf of c.properties) add(sources, 'properties', leaf.category);
      for (const leaf of c.context) add(sources, 'context', leaf.category);
    }
    const fresh = new Set<string>();
    for (const [sourceId, scopes] of seen)
      for (const [scope, categories] of scopes)
        for (const category of categories) {
          const flow = `${sourceId}\u0000${scope}\u0000${category}`;
          const recorded = this.flowsRecorded.get(flow);
          if (recorded === undefined || now - recorded > DATA_FLOW_REFRESH_MS) fresh.add(flow);
        }
    if (fresh.size === 0) return;
    const flows = [...fresh].sort(compare);
    const parts = flows.map((f) => f.split('\u0000'));
    await tx`
      insert into data_flows (source_id, scope, category)
      select * from unnest(${arr(
        tx,
        parts.map((f) => f[0]!),
      )}::text[], ${arr(
        tx,
        parts.map((f) => f[1]!),
      )}::text[], ${arr(
        tx,
        parts.map((f) => f[2]!),
      )}::text[])
      on conflict (source_id, scope, category) do update set last_seen_at = now()`;
    state.flows.push(...flows);
  }

  /**
   * One `audience_changes` row per person of the batch (segments, computed traits and rule tags
   * catch up from it), in this transaction: an event or order is never stored without it.
   */
  private async recordAudienceChanges(
    tx: TransactionSql,
    taken: { p: PreparedCall; customerId: string }[],
  ): Promise<void> {
    if (this.deps.audienceChanges === false || taken.length === 0) return;
    // One row per person and cause (domain/audience-dependencies.ts): the processor evaluates only
    // the traits and segments that read what changed.
    const rows = new Set<string>();
    for (const r of taken)
      for (const cause of r.p.item.order ? ['order'] : causesOfCall(r.p.item.call))
        rows.add(`${r.customerId} ${cause}`);
    const pairs = [...rows].sort().map((row) => [row.slice(0, 36), row.slice(37)] as const);
    await tx`
      insert into audience_changes (customer_id, cause)
      select * from unnest(${uuids(
        tx,
        pairs.map(([id]) => id),
      )}::uuid[], ${arr(
        tx,
        pairs.map(([, cause]) => cause),
      )}::text[])`;
  }

  /**
   * last_seen_at to the minute: rewriting every active profile's row on every commit would
   * bloat the table for nothing. Row locks in customer ID order, so concurrent commits cannot
   * deadlock here.
   */
  private async touchProfiles(tx: TransactionSql, customerIds: string[], created: string[]): Promise<void> {
    const now = Date.now();
    // Created in this transaction (or a moment ago by another writer): last_seen_at is now already.
    for (const id of created) this.lastTouched.set(id, now);
    const due = customerIds.filter((id) => now - (this.lastTouched.get(id) ?? 0) > LAST_SEEN_RESOLUTION_MS).sort();
    if (due.length === 0) return;
    await tx`update profiles set last_seen_at = now() where customer_id in (
      select customer_id from profiles where customer_id = any(${uuids(tx, due)}::uuid[]) order by customer_id for update)`;
    if (this.lastTouched.size > DATA_KEY_CACHE) this.lastTouched.clear();
    for (const id of due) this.lastTouched.set(id, now);
  }

  /**
   * Creates the months' event partitions before the transaction, one creation at a time:
   * two concurrent CREATE TABLE … PARTITION OF race on the catalog even with IF NOT EXISTS.
   */
  private async ensurePartitions(months: Iterable<string>): Promise<void> {
    for (const month of months) {
      if (this.partitions.has(month)) continue;
      let creating = this.creatingPartitions.get(month);
      if (!creating) {
        creating = (async () => {
          try {
            await this.deps.pool.sql`select meridian_ensure_events_partition(${month}::date)`;
          } catch (error) {
            // Another process made it first: that is all we wanted.
            if (!['42P07', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
          }
          this.partitions.add(month);
        })().finally(() => this.creatingPartitions.delete(month));
        this.creatingPartitions.set(month, creating);
      }
      await creating;
    }
  }

  private async insertEvents(
    tx: TransactionSql,
    state: CommitState,
    resolved: { p: PreparedCall; customerId: string }[],
    classified: Map<PreparedCall, ClassifiedCall>,
  ): Promise<string[]> {
    const ids = resolved.map(() => randomUUID());
    if (resolved.length === 0) return ids;
    const c = resolved.map((r) => r.p.item.call);
    // Journeys start and wake on tracked events: their outbox row commits with the event, written
    // by the same statement from the rows it inserted (no second set of arrays to send and parse).
    await tx`
      with stored as (
        insert into events (id, received_at, source_id, message_id, customer_id, sealed_with, type, event, timestamp,
                            original_timestamp, sent_at, timestamp_flag, timezone, locale, payload_sealed, properties)
        select id, ra, s, m, cu, cu, ty, ev, ts, ot, sa, tf, tz, lo, p, pr::jsonb from unnest(
          ${uuids(tx, ids)}::uuid[], ${timestamps(c.map((x) => x.receivedAt))}::timestamptz[],
          ${arr(
            tx,
            resolved.map((r) => r.p.item.sourceId),
          )}::text[],
          ${arr(
            tx,
            c.map((x) => x.messageId),
          )}::text[], ${uuids(
            tx,
            resolved.map((r) => r.customerId),
          )}::uuid[], ${arr(
            tx,
            c.map((x) => x.type),
          )}::text[],
          ${arr(
            tx,
            c.map((x) => x.event ?? x.name ?? null),
          )}::text[], ${timestamps(c.map((x) => x.timestamp))}::timestamptz[],
          ${timestamps(c.map((x) => x.originalTimestamp))}::timestamptz[],
          ${timestamps(c.map((x) => x.sentAt))}::timestamptz[],
          ${arr(
            tx,
            c.map((x) => x.timestampFlag ?? null),
          )}::text[], ${arr(
            tx,
            c.map((x) => x.timezone ?? null),
          )}::text[],
          ${arr(
            tx,
            c.map((x) => x.locale ?? null),
          )}::text[],
          ${bytes(
            resolved.map((r, i) =>
              sealJson(this.keyOf(state, r.customerId), eventPayload(r.p.item.call), `event:${r.customerId}:${ids[i]}`),
            ),
          )}::bytea[],
          ${arr(
            tx,
            resolved.map((r) => queryableProperties(r.p.item.call, classified.get(r.p)!)),
          )}::text[]
        ) as u(id, ra, s, m, cu, ty, ev, ts, ot, sa, tf, tz, lo, p, pr)
        returning id, received_at, customer_id, type, event)
      insert into journey_event_outbox (event_id, received_at, customer_id, event)
      select id, received_at, customer_id, event from stored where type = 'track' and event <> ''`;
    return ids;
  }

  /**
   * An order version: inserted, or replacing an older version of the same (source, order ID). A
   * version already stored (same update time) is left as it is, so a re-synced page changes nothing.
   */
  private async upsertOrders(tx: TransactionSql, resolved: { p: PreparedCall; customerId: string }[]): Promise<void> {
    if (resolved.length === 0) return;
    // Newest version per order within the batch, in key order so concurrent commits lock alike.
    const newest = new Map<string, { customerId: string; write: OrderWrite }>();
    for (const r of resolved) {
      const write = r.p.item.order!;
      const key = `${write.order.sourceId}\u0000${write.order.externalId}`;
      const prev = newest.get(key);
      if (!prev || prev.write.order.updatedAt <= write.order.updatedAt)
        newest.set(key, { customerId: r.customerId, write });
    }
    const rows = [...newest.entries()].sort(([a], [b]) => compare(a, b)).map(([, row]) => row);
    const o = rows.map((r) => r.write.order);
    const fx = rows.map((r) => r.write.reporting);
    const text = (values: (string | undefined)[]) =>
      arr(
        tx,
        values.map((v) => v ?? null),
      );
    await tx`
      insert into orders (source_id, external_id, customer_id, customer_external_id, order_number, currency, total_minor,
                          subtotal_minor, tax_minor, reporting_currency, reporting_total_minor, fx_rate, fx_rate_date, fx_fallback,
                          fx_problem, placed_at, time_zone, local_date, local_hour, status, financial_status, country_code,
                          line_item_count, source_updated_at)
      select * from unnest(
        ${text(o.map((x) => x.sourceId))}::text[], ${text(o.map((x) => x.externalId))}::text[], ${text(rows.map((r) => r.customerId))}::uuid[],
        ${text(o.map((x) => x.customerExternalId))}::text[], ${text(o.map((x) => x.orderNumber))}::text[], ${text(o.map((x) => x.currency))}::text[],
        ${text(o.map((x) => x.totalMinor))}::bigint[], ${text(o.map((x) => x.subtotalMinor))}::bigint[], ${text(o.map((x) => x.taxMinor))}::bigint[],
        ${text(fx.map((x) => x.currency))}::text[], ${text(fx.map((x) => (x.minor === null ? undefined : x.minor.toString())))}::bigint[],
        ${text(fx.map((x) => x.rate))}::numeric[], ${text(fx.map((x) => x.rateDate))}::date[],
        ${text(fx.map((x) => (x.fallback === undefined ? undefined : String(x.fallback))))}::boolean[], ${text(fx.map((x) => x.problem))}::text[],
        ${text(o.map((x) => x.placedAt))}::timestamptz[], ${text(o.map((x) => x.timeZone))}::text[], ${text(o.map((x) => x.localDate))}::date[],
        ${text(o.map((x) => String(x.localHour)))}::smallint[], ${text(o.map((x) => x.status))}::text[], ${text(o.map((x) => x.financialStatus))}::text[],
        ${text(o.map((x) => x.countryCode))}::text[], ${text(o.map((x) => String(x.lineItemCount)))}::integer[],
        ${text(o.map((x) => x.updatedAt))}::timestamptz[])
      on conflict (source_id, external_id) do update set
        customer_id = excluded.customer_id, customer_external_id = excluded.customer_external_id, order_number = excluded.order_number,
        currency = excluded.currency, total_minor = excluded.total_minor, subtotal_minor = excluded.subtotal_minor, tax_minor = excluded.tax_minor,
        reporting_currency = excluded.reporting_currency, reporting_total_minor = excluded.reporting_total_minor, fx_rate = excluded.fx_rate,
        fx_rate_date = excluded.fx_rate_date, fx_fallback = excluded.fx_fallback, fx_problem = excluded.fx_problem, placed_at = excluded.placed_at,
        time_zone = excluded.time_zone, local_date = excluded.local_date, local_hour = excluded.local_hour, status = excluded.status,
        financial_status = excluded.financial_status, country_code = excluded.country_code, line_item_count = excluded.line_item_count,
        source_updated_at = excluded.source_updated_at, synced_at = now()
      where orders.source_updated_at < excluded.source_updated_at`;
  }

  /**
   * Registers this commit's new customers and identifiers in the global index, in one global
   * transaction. Another region may have registered one of the same identifiers for another
   * customer since this commit looked it up (two regions' processors resolving one new person at
   * the same moment): then nothing is registered, and the commit fails with `IdentityRace` and is
   * retried, when its lookup finds the other region's customer ID and resolves to it — as if the
   * two had come one after the other. Without this, the later region kept a profile whose
   * identifiers point elsewhere, so lookups across regions missed it.
   */
  private async registerGlobally(
    unordered: { t: Token; customerId: string; provenance: IdentityProvenance }[],
    customers: string[],
    newTokens: ReadonlySet<string>,
  ): Promise<void> {
    // In key order, so concurrent commits lock index rows alike (an upgrade updates the row).
    const tokens = [...unordered].sort((a, b) => compare(a.t.type, b.t.type) || compare(a.t.key, b.t.key));
    if (customers.length === 0 && tokens.length === 0) return;
    await this.deps.globalSql.begin(async (gtx) => {
      if (customers.length > 0) {
        await gtx`
        insert into customers (customer_id, home_region, regions)
        select c, ${this.deps.region}, array[${this.deps.region}]::text[] from unnest(${arr(gtx, customers)}::uuid[]) as u(c)
        on conflict (customer_id) do update set regions = array_append(customers.regions, ${this.deps.region})
        where not (${this.deps.region} = any(customers.regions))`;
      }
      if (tokens.length === 0) return;
      // A conflicting row is returned when it names another customer (then only to be compared:
      // its provenance is left as it is) or when this commit upgrades its provenance.
      const others = await gtx<{ type: string; key: string; owner: string }[]>`
        with registered as (
          insert into identity_index (type, blind_index, customer_id, provenance)
          select * from unnest(${arr(
            gtx,
            tokens.map((x) => x.t.type),
          )}::text[], ${hexBytes(tokens.map((x) => x.t.key))}::bytea[], ${arr(
            gtx,
            tokens.map((x) => x.customerId),
          )}::uuid[], ${arr(
            gtx,
            tokens.map((x) => x.provenance),
          )}::text[])
          on conflict (type, blind_index) do update set provenance = case
            when identity_index.customer_id = excluded.customer_id and identity_index.provenance = 'browser'
              then excluded.provenance else identity_index.provenance end
          where identity_index.customer_id <> excluded.customer_id
             or (identity_index.provenance = 'browser' and excluded.provenance <> 'browser')
          returning type, blind_index, customer_id)
        select r.type, encode(r.blind_index, 'hex') as key, coalesce(c.merged_into, r.customer_id) as owner
        from registered r left join customers c on c.customer_id = r.customer_id`;
      const intended = new Map(tokens.map((x) => [tokenKey(x.t), x.customerId]));
      const raced = others.filter((o) => {
        const k = `${o.type}:${o.key}`;
        return newTokens.has(k) && o.owner !== intended.get(k);
      });
      if (raced.length > 0) throw new IdentityRace(raced.map((o) => o.type));
    });
  }
}

/**
 * Another region registered an identifier of this commit for another customer first: the commit is
 * rolled back and retried (commitWithRetry), and then resolves to that customer.
 */
export class IdentityRace extends Error {
  constructor(types: string[]) {
    super(`another region registered the same ${[...new Set(types)].join(', ')} at the same moment: retried`);
    this.name = 'IdentityRace';
  }
}

/**
 * Promise.all that waits for every promise before it rejects, with the first error to happen
 * (the one that broke the transaction; those after it are only "transaction aborted").
 */
async function allSettledOrFirstError<T extends readonly unknown[] | []>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  let failure: { error: unknown } | undefined;
  const values = await Promise.all(
    promises.map((p) =>
      Promise.resolve(p).catch((error: unknown) => {
        failure ??= { error };
        return undefined;
      }),
    ),
  );
  if (failure) throw failure.error;
  return values as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** An array parameter, serialised by postgres.js as an array whatever the statement's inferred types. */
function arr(sql: Sql | TransactionSql, values: (string | null)[]) {
  return sql.array(values as string[]);
}

/**
 * A bytea[] parameter (cast it `::bytea[]`), as the array's text built at once: postgres.js would
 * hex-encode each value and then run two regular expressions over every hex string to escape it,
 * a large share of a batch's CPU. Hex never needs escaping, so the literal is joined directly.
 */
function bytes(values: readonly Buffer[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) literal += `${i > 0 ? ',' : ''}\\\\x${values[i]!.toString('hex')}`;
  return `${literal}}`;
}

/** As `bytes`, for values already in hex (blind indexes, as tokens carry them). */
function hexBytes(hex: readonly string[]): string {
  let literal = '{';
  for (let i = 0; i < hex.length; i++) literal += `${i > 0 ? ',' : ''}\\\\x${hex[i]}`;
  return `${literal}}`;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A uuid[] parameter (cast it `::uuid[]`) of customer or event IDs, joined directly as `bytes` is:
 * in the canonical 36-character form (what PostgreSQL and randomUUID give) a UUID holds only hex
 * digits and dashes, which need no escaping. Any other form goes through postgres.js's escaping.
 */
function uuids(sql: Sql | TransactionSql, values: readonly string[]) {
  for (const v of values) if (!CANONICAL_UUID.test(v)) return arr(sql, [...values]);
  return `{${values.join(',')}}`;
}

/** A timestamptz[] parameter (cast it `::timestamptz[]`): ISO 8601 text needs no escaping either. */
function timestamps(values: readonly (Date | null | undefined)[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) literal += `${i > 0 ? ',' : ''}${values[i]?.toISOString() ?? 'NULL'}`;
  return `${literal}}`;
}

/** PostgreSQL refused a value (data exception, integrity or program limit): the input's fault, not the system's. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function provenanceOf(p: PreparedCall): IdentityProvenance {
  return p.item.provenance ?? 'browser';
}

function claimKey(p: PreparedCall): string {
  return `${p.item.sourceId}\u0000${p.item.call.messageId}`;
}

function dedupeTokens(tokens: Token[]): Token[] {
  const seen = new Map<string, Token>();
  for (const t of tokens) seen.set(tokenKey(t), t);
  return [...seen.values()];
}

function monthStart(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A call's traits, properties and context, each value with its category under the rules in force. */
export function classifyCall(call: TrackingCall, rules: CompiledRules): ClassifiedCall {
  const { traits: contextTraits, ...context } = call.context;
  const inContext = isRecord(contextTraits) ? contextTraits : {};
  // identify: the traits as `traits` stores them (the call's own over context.traits).
  const traits =
    call.type === 'identify' ? { ...inContext, ...call.traits } : call.type === 'group' ? call.traits : inContext;
  return {
    traits: classifiedLeaves(traits, rules, 'traits'),
    properties: classifiedLeaves(call.properties, rules, 'properties'),
    context: Object.keys(context).length > 0 ? classifiedLeaves({ context }, rules, 'properties') : [],
  };
}

/**
 * A non-identifying value as JSON for a jsonb column, or undefined when it is identifying or jsonb
 * cannot hold it (a NUL character, a lone surrogate): such a value stays sealed only, as before.
 */
export function queryableJson(leaf: ClassifiedLeaf): string | undefined {
  if (leaf.identifying || leaf.value === undefined) return undefined;
  const { value } = leaf;
  // The common cases without a second pass over the text.
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  // jsonb holds neither NUL nor a lone surrogate (\p{Cs} under the u flag matches only unpaired ones).
  if (typeof value === 'string') return /\u0000|\p{Cs}/u.test(value) ? undefined : JSON.stringify(value);
  const json = JSON.stringify(value);
  if (json === undefined || /\\u(0000|d[89a-f])/i.test(json)) return undefined;
  return json;
}

/** events.properties: the queryable properties (identify, group: traits) of the call, or null when none. */
export function queryableProperties(call: TrackingCall, c: ClassifiedCall): string | null {
  const leaves = call.type === 'identify' || call.type === 'group' ? c.traits : c.properties;
  const kept = leaves.filter((leaf) => queryableJson(leaf) !== undefined);
  return kept.length > 0 ? JSON.stringify(nestLeaves(kept)) : null;
}

/** The personal part of an event, sealed as one value. */
function eventPayload(call: TrackingCall): Record<string, unknown> {
  return {
    userId: call.userId,
    anonymousId: call.anonymousId,
    groupId: call.groupId,
    previousId: call.previousId,
    name: call.name,
    category: call.category,
    properties: call.properties,
    traits: call.traits,
    context: call.context,
    integrations: call.integrations,
  };
}

/** The country (or locale) that tells how to read a local phone number. */
export function phoneHint(call: TrackingCall): PhoneHint {
  const ctx = call.context as { location?: { country?: unknown }; traits?: { address?: { country?: unknown } } };
  const traits = call.traits as { address?: { country?: unknown }; country?: unknown };
  const country = [ctx.location?.country, traits.address?.country, traits.country, ctx.traits?.address?.country].find(
    (c): c is string => typeof c === 'string' && /^[A-Za-z]{2}$/.test(c),
  );
  return { ...(country ? { country: country.toUpperCase() } : {}), ...(call.locale ? { locale: call.locale } : {}) };
}
