import { describe, expect, it } from 'vitest';
import { clickIdsOf } from '../../domain/ad-clicks';

describe('clickIdsOf', () => {
  const gclid = 'Cj0KCQiA0MD_BhCvARIsAAbc123xyz';
  it("reads Google's click IDs from the landing page's query string, URL, properties and campaign", () => {
    expect(clickIdsOf({ context: { page: { search: `?utm_source=google&gclid=${gclid}` } } })).toEqual([
      { kind: 'gclid', clickId: gclid },
    ]);
    expect(clickIdsOf({ context: { page: { url: `https://shop.example/?wbraid=${gclid}#top` } } })).toEqual([
      { kind: 'wbraid', clickId: gclid },
    ]);
    expect(clickIdsOf({ properties: { gbraid: gclid, search: `?gclid=${gclid}` } })).toEqual([
      { kind: 'gbraid', clickId: gclid },
      { kind: 'gclid', clickId: gclid },
    ]);
    expect(clickIdsOf({ context: { campaign: { gclid } } })).toEqual([{ kind: 'gclid', clickId: gclid }]);
  });
  it('keeps nothing that is not shaped like a click ID', () => {
    expect(clickIdsOf({ context: { page: { search: '?gclid=a%20b%3Cscript%3E' } } })).toEqual([]);
    expect(clickIdsOf({ properties: { gclid: 'short' } })).toEqual([]);
    expect(clickIdsOf({ properties: { gclid: 42 } })).toEqual([]);
    expect(clickIdsOf({})).toEqual([]);
  });
});
