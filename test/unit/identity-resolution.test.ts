import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_RULES, identityRulesSchema } from '../../domain/identity-rules';
import { IdentityGraph, Token } from '../../domain/identity-resolution';

const t = (type: string, key: string): Token => ({ type, key });
const ids = () => {
  let n = 0;
  return () => `cus_${++n}`;
};

describe('One ID resolution', () => {
  it('makes a profile for unknown identifiers and attaches them all', () => {
    const graph = new IdentityGraph(DEFAULT_IDENTITY_RULES);
    const r = graph.resolve([t('anonymous_id', 'a1'), t('email', 'e1')], ids());
    expect(r).toEqual({ customerId: 'cus_1', created: true, attached: [t('email', 'e1'), t('anonymous_id', 'a1')], merges: [], skipped: [] });
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
});
