import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_RULES, identityRulesSchema } from '../../domain/identity-rules';
import { IdentityGraph, Token } from '../../domain/identity-resolution';
import { isTrusted, provenanceOfSource, strongerProvenance } from '../../domain/identity-provenance';

const t = (type: string, key: string): Token => ({ type, key });
const ids = () => {
  let n = 0;
  return () => `cus_${++n}`;
};

describe('One ID resolution', () => {
  it('makes a profile for unknown identifiers and attaches them all', () => {
    const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
    const r = graph.resolve([t('anonymous_id', 'a1'), t('email', 'e1')], ids());
    expect(r).toEqual({
      customerId: 'cus_1',
      created: true,
      attached: [t('email', 'e1'), t('anonymous_id', 'a1')],
      merges: [],
      held: [],
      skipped: [],
    });
  });

  it('joins an anonymous profile to the identified one when an event carries both (merge)', () => {
    const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
    const next = ids();
    graph.resolve([t('anonymous_id', 'a1')], next); // cus_1: anonymous browsing
    graph.resolve([t('user_id', 'u1')], next); // cus_2: signed in elsewhere
    const r = graph.resolve([t('anonymous_id', 'a1'), t('user_id', 'u1')], next);
    expect(r.customerId).toBe('cus_2'); // the user ID outranks the anonymous ID
    expect(r.merges).toEqual([{ from: 'cus_1', into: 'cus_2', linkedBy: 'anonymous_id' }]);
    expect(graph.ownerOf(t('anonymous_id', 'a1'))).toBe('cus_2');
  });

  it('never merges two profiles with different user IDs (merge protection)', () => {
    const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
    const next = ids();
    graph.resolve([t('user_id', 'u1'), t('email', 'e1')], next); // cus_1
    graph.resolve([t('user_id', 'u2'), t('phone', 'p2')], next); // cus_2
    const r = graph.resolve([t('email', 'e1'), t('phone', 'p2')], next);
    expect(r.customerId).toBe('cus_1'); // email outranks phone
    expect(r.merges).toEqual([]);
    expect(graph.ownerOf(t('phone', 'p2'))).toBe('cus_2');
  });

  it('starts a new profile for a second user signing in on a shared device', () => {
    const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
    const next = ids();
    graph.resolve([t('user_id', 'alice'), t('anonymous_id', 'device')], next); // cus_1
    const r = graph.resolve([t('user_id', 'bob'), t('anonymous_id', 'device')], next);
    expect(r).toMatchObject({ customerId: 'cus_2', created: true, attached: [t('user_id', 'bob')], merges: [] });
    expect(graph.ownerOf(t('anonymous_id', 'device'))).toBe('cus_1');
  });

  it('respects the limit per type', () => {
    const rules = identityRulesSchema.parse({ limits: { email: 2 } });
    const graph = new IdentityGraph(rules);
    const next = ids();
    graph.resolve([t('user_id', 'u1'), t('email', 'e1'), t('email', 'e2')], next);
    const r = graph.resolve([t('user_id', 'u1'), t('email', 'e3')], next);
    expect(r.customerId).toBe('cus_1');
    expect(r.attached).toEqual([]);
    expect(r.skipped).toEqual([{ type: 'email', reason: 'profile already holds the limit of 2 email' }]);
    expect(graph.ownerOf(t('email', 'e3'))).toBeUndefined();
  });

  it('follows a configured priority order', () => {
    const rules = identityRulesSchema.parse({ priority: ['phone', 'email', 'user_id', 'anonymous_id'] });
    const graph = new IdentityGraph(rules);
    const next = ids();
    graph.resolve([t('email', 'e1')], next); // cus_1
    graph.resolve([t('phone', 'p1')], next); // cus_2
    const r = graph.resolve([t('email', 'e1'), t('phone', 'p1')], next);
    expect(r).toMatchObject({ customerId: 'cus_2', merges: [{ from: 'cus_1', into: 'cus_2', linkedBy: 'email' }] });
  });

  describe('browser claims (issue 8, item 3: identity poisoning through public write keys)', () => {
    const browser = { unverifiedClaims: true };

    it('attacker claims the victim’s email after their own: the merge is held, the victim’s profile untouched', () => {
      const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
      const next = ids();
      graph.resolve([t('user_id', 'victim'), t('email', 'victim@mail')], next); // cus_1, from the brand's server
      graph.resolve([t('anonymous_id', 'evil-device'), t('email', 'attacker@mail')], next, browser); // cus_2
      const r = graph.resolve([t('anonymous_id', 'evil-device'), t('email', 'victim@mail')], next, browser);
      expect(r).toMatchObject({ customerId: 'cus_2', created: false, attached: [], merges: [] });
      expect(r.held).toEqual([{ from: 'cus_2', into: 'cus_1', linkedBy: 'email' }]);
      expect(graph.ownerOf(t('email', 'attacker@mail'))).toBe('cus_2');
      expect(graph.ownerOf(t('email', 'victim@mail'))).toBe('cus_1');
    });

    it('victim’s profile first, then a fresh attacker device claims the email: the device gets its own profile, the link is held', () => {
      const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
      const next = ids();
      graph.resolve([t('user_id', 'victim'), t('email', 'victim@mail')], next); // cus_1
      const r = graph.resolve([t('anonymous_id', 'evil-device'), t('email', 'victim@mail')], next, browser);
      expect(r).toMatchObject({
        customerId: 'cus_2',
        created: true,
        attached: [t('anonymous_id', 'evil-device')],
        merges: [],
      });
      expect(r.held).toEqual([{ from: 'cus_2', into: 'cus_1', linkedBy: 'email' }]);
      // The attacker's own email then lands on the attacker's profile, never on the victim's.
      const own = graph.resolve([t('anonymous_id', 'evil-device'), t('email', 'attacker@mail')], next, browser);
      expect(own).toMatchObject({ customerId: 'cus_2', attached: [t('email', 'attacker@mail')], held: [] });
      expect(graph.ownerOf(t('email', 'attacker@mail'))).toBe('cus_2');
    });

    it('a browser’s unknown email still joins the visitor’s own profile', () => {
      const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
      const next = ids();
      graph.resolve([t('anonymous_id', 'a1')], next, browser);
      const r = graph.resolve([t('anonymous_id', 'a1'), t('email', 'me@mail')], next, browser);
      expect(r).toMatchObject({ customerId: 'cus_1', attached: [t('email', 'me@mail')], merges: [], held: [] });
    });

    it('merges at once when the rules say browser merges are automatic, and for a server source', () => {
      for (const [rules, options] of [
        [identityRulesSchema.parse({ browserMerges: 'automatic' }), browser],
        [DEFAULT_IDENTITY_RULES, {}],
      ] as const) {
        const graph = new IdentityGraph(rules);
        const next = ids();
        graph.resolve([t('email', 'e1')], next); // cus_1
        graph.resolve([t('anonymous_id', 'a1')], next); // cus_2
        const r = graph.resolve([t('anonymous_id', 'a1'), t('email', 'e1')], next, options);
        expect(r).toMatchObject({
          customerId: 'cus_1',
          merges: [{ from: 'cus_2', into: 'cus_1', linkedBy: 'anonymous_id' }],
          held: [],
        });
      }
    });

    it('a browser’s user ID links as before (only the types in unverifiedLinkTypes are held)', () => {
      const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
      const next = ids();
      graph.resolve([t('user_id', 'u1')], next);
      graph.resolve([t('anonymous_id', 'a1')], next, browser);
      const r = graph.resolve([t('anonymous_id', 'a1'), t('user_id', 'u1')], next, browser);
      expect(r.merges).toEqual([{ from: 'cus_2', into: 'cus_1', linkedBy: 'anonymous_id' }]);
    });
  });

  it('never merges a frozen (suppressed or erased) profile, in either direction', () => {
    const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
    const next = ids();
    graph.resolve([t('email', 'e1')], next); // cus_1
    graph.resolve([t('anonymous_id', 'a1')], next); // cus_2
    graph.freeze('cus_1');
    const r = graph.resolve([t('anonymous_id', 'a1'), t('email', 'e1')], next);
    expect(r).toMatchObject({ customerId: 'cus_1', merges: [] });
    expect(graph.ownerOf(t('anonymous_id', 'a1'))).toBe('cus_2');
  });

  it('provenance: a browser key claims, a secret key vouches; a trusted assertion upgrades a claim, never the reverse', () => {
    expect(provenanceOfSource('browser')).toBe('browser');
    expect(provenanceOfSource('server')).toBe('server');
    expect(isTrusted('browser')).toBe(false);
    expect(['server', 'connector', 'verified'].every((p) => isTrusted(p as 'server'))).toBe(true);
    expect(strongerProvenance('browser', 'connector')).toBe('connector');
    expect(strongerProvenance('server', 'browser')).toBe('server');
    expect(strongerProvenance('connector', 'server')).toBe('connector');
  });
});
