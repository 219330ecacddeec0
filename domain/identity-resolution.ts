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

export interface Resolution {
  customerId: string;
  created: boolean;
  attached: Token[];
  merges: Merge[];
  /** Identifiers not attached, with the rule that kept them off (limit, protection). */
  skipped: { type: string; reason: string }[];
}

const tokenId = (t: Token) => `${t.type}:${t.key}`;

export class IdentityGraph {
  private readonly owner = new Map<string, string>();
  private readonly held = new Map<string, Map<string, Set<string>>>();

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

  /** Two profiles may merge unless they hold different values of a protected type. */
  canMerge(a: string, b: string): boolean {
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

  resolve(tokens: Token[], newCustomerId: () => string): Resolution {
    const ordered = [...tokens].sort((a, b) => priorityOf(this.rules, a.type) - priorityOf(this.rules, b.type));
    // Owners in the order of the best identifier that matched them.
    const owners: { customerId: string; linkedBy: string }[] = [];
    for (const token of ordered) {
      const owner = this.ownerOf(token);
      if (owner && !owners.some((o) => o.customerId === owner)) owners.push({ customerId: owner, linkedBy: token.type });
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
        skipped.push({ type: token.type, reason: `profile already holds the limit of ${limitFor(this.rules, token.type)} ${token.type}` });
        continue;
      }
      this.add(customerId, token);
      attached.push(token);
    }
    return { customerId, created, attached, merges, skipped };
  }
}
