import { GVL, TCModel, TCString } from '@iabtcf/core';

/** TCF consent strings for tests, encoded by the IAB's own library. */

// TCF: a minimal Global Vendor List, enough for @iabtcf/core to encode (it refuses without one).
const TCF_PURPOSE_NAMES = [
  'Store and/or access information on a device',
  'Use limited data to select advertising',
  'Create profiles for personalised advertising',
  'Use profiles to select personalised advertising',
  'Create profiles to personalise content',
  'Use profiles to select personalised content',
  'Measure advertising performance',
  'Measure content performance',
  'Understand audiences through statistics or combinations of data from different sources',
  'Develop and improve services',
  'Use limited data to select content',
];

function vendor(id: number, purposes: number[]) {
  return {
    id,
    name: `Vendor ${id}`,
    purposes,
    legIntPurposes: [],
    flexiblePurposes: [],
    specialPurposes: [],
    features: [],
    specialFeatures: [],
    policyUrl: `https://vendor${id}.example/privacy`,
    usesCookies: true,
    cookieMaxAgeSeconds: 31_536_000,
    cookieRefresh: false,
    usesNonCookieAccess: false,
  };
}

function minimalGvl(tcfPolicyVersion: number, vendorIds: number[] = [755, 42]): GVL {
  const vendorPurposes: Record<number, number[]> = { 755: [1, 3, 4], 42: [1, 8, 9] };
  return new GVL({
    gvlSpecificationVersion: 3,
    vendorListVersion: 150,
    tcfPolicyVersion,
    lastUpdated: '2025-06-01T00:00:00Z',
    purposes: Object.fromEntries(
      TCF_PURPOSE_NAMES.map((name, i) => [String(i + 1), { id: i + 1, name, description: name }]),
    ),
    specialPurposes: {},
    features: {},
    specialFeatures: { '1': { id: 1, name: 'Use precise geolocation data', description: '' } },
    stacks: {},
    vendors: Object.fromEntries(vendorIds.map((id) => [String(id), vendor(id, vendorPurposes[id] ?? [1])])),
  } as unknown as ConstructorParameters<typeof GVL>[0]);
}

export interface TcfFixture {
  purposes: number[];
  vendors?: number[];
  policyVersion?: number;
  publisherCC?: string;
  isServiceSpecific?: boolean;
  gvlVendors?: number[];
}

export function encodeTcf(fixture: TcfFixture): string {
  const model = new TCModel(minimalGvl(fixture.policyVersion ?? 4, fixture.gvlVendors));
  model.cmpId = 300;
  model.cmpVersion = 2;
  model.consentScreen = 1;
  model.publisherCountryCode = fixture.publisherCC ?? 'FR';
  model.isServiceSpecific = fixture.isServiceSpecific ?? false;
  model.created = new Date('2025-06-01T00:00:00Z');
  model.lastUpdated = new Date('2025-06-02T00:00:00Z');
  if (fixture.purposes.length > 0) model.purposeConsents.set(fixture.purposes);
  if (fixture.vendors && fixture.vendors.length > 0) model.vendorConsents.set(fixture.vendors);
  return TCString.encode(model);
}
