import { IdentityRules, limitFor, priorityOf } from './identity-rules';

/**
 * One ID resolution, pure: given the identifiers an event carries (as blind-index tokens) and
 * what the region already knows (which profile holds which token), decide which profile the
 * event belongs to, which new identifiers that profile gains, and which profiles it links and
 * so must merge. The caller loads the graph, applies the decisions and starts merge workflows.
 */

export interface Token {
  type: string;
  /** Hex of the blind index: never the identifier's value. */
  key: string;
}

export interface Merge {
  from: string;
  into: string;
  /** The identifier type that linked the two profiles. */
  linkedBy: string;
}

/**
 * A merge not applied because its only link is an identifier a browser source claimed: `from` is
 * the profile the call went to (the visitor's), `into` the profile that holds the claimed identifier.
 */
export type HeldMerge = Merge;

export interface ResolveOptions {
  /** The call came through a public write key: its emails and phones are unverified claims. */
  unverifiedClaims?: boolean;
}

export interface Resolution {
  customerId: string;
  created: boolean;
  attached: Token[];
  merges: Merge[];
  /** Merges that wait for review (identity rules: browserMerges "hold"). */
  held: HeldMerge[];
  /** Identifiers not attached, with the rule that kept them off (limit, protection). */
  skipped: { type: string; reason: string }[];
}

const tokenId = (t: Token) => `${t.type}:${t.key}`;

export class IdentityGraph {
  private readonly owner = new Map<string, string>();
  private readonly held = new Map<string, Map<string, Set<string>>>();
  private readonly frozen = new Set<string>();

  constructor(private readonly rules: IdentityRules) {}

  /** Records that `customerId` holds `token` (as loaded from the database). */
  add(customerId: string, token: Token): void {
    const id = tokenId(token);
    this.owner.set(id, customerId);
    let byType = this.held.get(customerId);
    if (!byType) this.held.set(customerId, (byType = new Map()));
    let keys = byType.get(token.type);
    if (!keys) byType.set(token.type, (keys = new Set()));
    keys.add(token.key);
  }

  ownerOf(token: Token): string | undefined {
    return this.owner.get(tokenId(token));
  }

  private keysOf(customerId: string, type: string): Set<string> {
    return this.held.get(customerId)?.get(type) ?? new Set();
  }

  /** The profiles known to the graph. */
  customers(): string[] {
    return [...this.held.keys()];
  }

  /**
   * A profile that must not change: its person is suppressed (a deletion under way) or erased.
   * It takes part in no merge, so nothing of theirs moves away from the erasure, or into it.
   */
  freeze(customerId: string): void {
    this.frozen.add(customerId);
  }

  /** Two profiles may merge unless one is frozen or they hold different values of a protected type. */
  canMerge(a: string, b: string): boolean {
    if (this.frozen.has(a) || this.frozen.has(b)) return false;
    return this.rules.mergeProtectedTypes.every((type) => {
      const ka = this.keysOf(a, type);
      const kb = this.keysOf(b, type);
      if (ka.size === 0 || kb.size === 0) return true;
      return [...ka].every((k) => kb.has(k)) && [...kb].every((k) => ka.has(k));
    });
  }

  private conflicts(customerId: string, token: Token): boolean {
    if (!this.rules.mergeProtectedTypes.includes(token.type)) return false;
    const keys = this.keysOf(customerId, token.type);
    return keys.size > 0 && !keys.has(token.key);
  }

  private moveAll(from: string, into: string): void {
    for (const [type, keys] of this.held.get(from) ?? []) for (const key of keys) this.add(into, { type, key });
    this.held.delete(from);
  }

  resolve(tokens: Token[], newCustomerId: () => string, options: ResolveOptions = {}): Resolution {
    const ordered = [...tokens].sort((a, b) => priorityOf(this.rules, a.type) - priorityOf(this.rules, b.type));
    // A browser's email or phone is a claim anyone can make: it finds a profile, it does not prove it.
    const unverified = (t: Token) =>
      options.unverifiedClaims === true &&
      this.rules.browserMerges === 'hold' &&
      this.rules.unverifiedLinkTypes.includes(t.type);
    // Owners in the order of the best identifier that matched them; "claimed" ones matched only through unverified claims.
    const owners: { customerId: string; linkedBy: string }[] = [];
    const claimed: { customerId: string; linkedBy: string }[] = [];
    for (const token of ordered) {
      const owner = this.ownerOf(token);
      if (!owner || unverified(token) || owners.some((o) => o.customerId === owner)) continue;
      owners.push({ customerId: owner, linkedBy: token.type });
    }
    for (const token of ordered) {
      const owner = this.ownerOf(token);
      if (
        !owner ||
        !unverified(token) ||
        owners.some((o) => o.customerId === owner) ||
        claimed.some((o) => o.customerId === owner)
      )
        continue;
      claimed.push({ customerId: owner, linkedBy: token.type });
    }

    const merges: Merge[] = [];
    let customerId: string;
    let created = false;
    if (owners.length === 0) {
      customerId = newCustomerId();
      created = true;
    } else {
      customerId = owners[0]!.customerId;
      for (const other of owners.slice(1)) {
        if (this.canMerge(customerId, other.customerId)) {
          merges.push({ from: other.customerId, into: customerId, linkedBy: other.linkedBy });
          this.moveAll(other.customerId, customerId);
        }
      }
      // An unknown protected identifier that contradicts the matched profile (a second user
      // signing in on a shared device) starts a profile of its own instead.
      const contradicting = ordered.find((t) => !this.ownerOf(t) && this.conflicts(customerId, t));
      if (contradicting) {
        customerId = newCustomerId();
        created = true;
      }
    }

    const attached: Token[] = [];
    const skipped: Resolution['skipped'] = [];
    for (const token of ordered) {
      if (this.ownerOf(token)) continue;
      if (this.conflicts(customerId, token)) {
        skipped.push({ type: token.type, reason: `profile already has a different ${token.type}` });
        continue;
      }
      if (this.keysOf(customerId, token.type).size >= limitFor(this.rules, token.type)) {
        skipped.push({
          type: token.type,
          reason: `profile already holds the limit of ${limitFor(this.rules, token.type)} ${token.type}`,
        });
        continue;
      }
      this.add(customerId, token);
      attached.push(token);
    }
    // The claimed profiles stay as they are: the link waits for review (or for nothing, when protection forbids it).
    const held: HeldMerge[] = [];
    for (const c of claimed) {
      if (c.customerId !== customerId && this.canMerge(customerId, c.customerId))
        held.push({ from: customerId, into: c.customerId, linkedBy: c.linkedBy });
    }
    return { customerId, created, attached, merges, held, skipped };
  }
}
