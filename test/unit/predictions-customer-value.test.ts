import { beforeAll, describe, expect, it } from 'vitest';
import {
  customerValueSummary,
  fitCustomerValueModel,
  forecastCustomerValue,
  parseCustomerValueModel,
  type PurchaseHistory,
} from '../../domain/predictions';
import {
  bgNbdConditionalExpectedPurchases,
  bgNbdExpectedPurchases,
  bgNbdLogLikelihood,
  bgNbdProbabilityAlive,
  fitBgNbd,
  type BgNbdCustomer,
} from '../../domain/predictions/bg-nbd';
import {
  fitGammaGamma,
  gammaGammaExpectedAverageValue,
  gammaGammaLogLikelihood,
} from '../../domain/predictions/gamma-gamma';
import type { CustomerValueSummary } from '../../domain/predictions/customer-value';
import { cdnowHistories, cdnowSampleCustomerIds, cdnowTransactions } from '../support/cdnow';

/**
 * BG/NBD and Gamma-Gamma as `lifetimes` defines them. The published numbers come from Fader, Hardie &
 * Lee (2005) and lifetimes' tests/test_estimation.py, which fit the 2,357-customer 1/10 sample of
 * CDNOW in weeks with a 39-week calibration period (to 1997-09-30). We rebuild that sample from the
 * master file with the sample's customer IDs (data/cdnow/README.md) and fit on it; the tolerances are
 * lifetimes' own (assert_array_almost_equal decimal=3 for BG/NBD, decimal=2 for Gamma-Gamma).
 */

const CALIBRATION_END = '1997-09-30';

describe('BG/NBD likelihood against its closed form', () => {
  it('matches the paper equation L = B(a,b+x)/B(a,b) · Γ(r+x)α^r/Γ(r) · [(α+T)^−(r+x) + δ a/(b+x−1) (α+t_x)^−(r+x)]', () => {
    // r = 1, α = 1, a = 1, b = 2; x = 1, t_x = 1, T = 2: B(1,3)/B(1,2) = 2/3, Γ(2)/Γ(1) = 1,
    // bracket 3⁻² + ½·2⁻² = 17/72, so L = 17/108.
    expect(bgNbdLogLikelihood({ r: 1, alpha: 1, a: 1, b: 2 }, { frequency: 1, recency: 1, T: 2 })).toBeCloseTo(
      Math.log(17 / 108),
      13,
    );
    // No repeat purchase: L = (α/(α+T))^r.
    expect(bgNbdLogLikelihood({ r: 1, alpha: 1, a: 1, b: 2 }, { frequency: 0, recency: 0, T: 2 })).toBeCloseTo(
      Math.log(1 / 3),
      13,
    );
    // r = 2, α = 3, a = 2, b = 3; x = 2, t_x = 4, T = 6: B(2,5)/B(2,3) = 0.4, Γ(4)·3²/Γ(2) = 54.
    const expected = 0.4 * 54 * (9 ** -4 + (2 / 4) * 7 ** -4);
    expect(bgNbdLogLikelihood({ r: 2, alpha: 3, a: 2, b: 3 }, { frequency: 2, recency: 4, T: 6 })).toBeCloseTo(
      Math.log(expected),
      12,
    );
  });

  it('gives P(alive) = 1 without repeat purchases and less for a long-silent repeat buyer', () => {
    const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    expect(bgNbdProbabilityAlive(params, { frequency: 0, recency: 0, T: 30 })).toBe(1);
    // 1 / (1 + a/(b + x − 1) · ((α + T)/(α + t_x))^(r + x))
    const closedForm = (recency: number) =>
      1 / (1 + (0.793 / (2.426 + 4)) * ((4.414 + 30) / (4.414 + recency)) ** (0.243 + 5));
    const recent = bgNbdProbabilityAlive(params, { frequency: 5, recency: 29, T: 30 });
    const silent = bgNbdProbabilityAlive(params, { frequency: 5, recency: 3, T: 30 });
    expect(recent).toBeCloseTo(closedForm(29), 14);
    expect(silent).toBeCloseTo(closedForm(3), 14);
    expect(recent).toBeGreaterThan(0.85);
    expect(silent).toBeLessThan(0.2);
  });

  it('refuses impossible summaries', () => {
    const params = { r: 1, alpha: 1, a: 1, b: 2 };
    expect(() => bgNbdConditionalExpectedPurchases(params, 1, { frequency: 1, recency: 5, T: 2 })).toThrow(
      /0 ≤ recency ≤ T/,
    );
    expect(() => bgNbdConditionalExpectedPurchases(params, 1, { frequency: 1.5, recency: 1, T: 2 })).toThrow(
      /whole number/,
    );
    expect(() => fitBgNbd([])).toThrow(/at least one customer/);
  });
});

describe('Gamma-Gamma likelihood against its closed form', () => {
  it('matches f(m̄ | p,q,v,x) = Γ(px+q)/(Γ(px)Γ(q)) · v^q m̄^(px−1) x^(px) / (v + x m̄)^(px+q)', () => {
    expect(gammaGammaLogLikelihood({ p: 1, q: 1, v: 1 }, { frequency: 1, monetaryValue: 1 })).toBeCloseTo(
      Math.log(1 / 4),
      13,
    );
    // p = 2, q = 3, v = 4, x = 2, m̄ = 5: Γ(7)/(Γ(4)Γ(3)) = 60, 4³ = 64, 5³ = 125, 2⁴ = 16, 14⁷.
    const expected = (60 * 64 * 125 * 16) / 14 ** 7;
    expect(gammaGammaLogLikelihood({ p: 2, q: 3, v: 4 }, { frequency: 2, monetaryValue: 5 })).toBeCloseTo(
      Math.log(expected),
      12,
    );
  });

  it("shrinks a customer's mean towards the population mean by p·x/(p·x + q − 1)", () => {
    const params = { p: 6.25, q: 3.74, v: 15.44 };
    const population = (6.25 * 15.44) / 2.74;
    expect(gammaGammaExpectedAverageValue(params, { frequency: 0, monetaryValue: 0 })).toBeCloseTo(population, 12);
    const weight = (6.25 * 2) / (6.25 * 2 + 2.74);
    expect(gammaGammaExpectedAverageValue(params, { frequency: 2, monetaryValue: 100 })).toBeCloseTo(
      (1 - weight) * population + weight * 100,
      12,
    );
    expect(() => gammaGammaExpectedAverageValue({ p: 1, q: 0.9, v: 1 }, { frequency: 0, monetaryValue: 0 })).toThrow(
      /q = 0.9 ≤ 1/,
    );
    expect(() => fitGammaGamma([{ frequency: 0, monetaryValue: 10 }])).toThrow(/repeat buyers only/);
  });
});

// Fitting on real data takes about a second; on a busy shared machine, several.
const FIT_TIMEOUT_MS = 30_000;

describe('the CDNOW 1/10 sample reproduces the published fits', () => {
  let sample: CustomerValueSummary[];
  beforeAll(() => {
    const byId = new Map(cdnowHistories(cdnowTransactions()).map((h) => [h.customerId, h]));
    sample = cdnowSampleCustomerIds().map((id) => customerValueSummary(byId.get(id)!, CALIBRATION_END, 7)!);
  }, FIT_TIMEOUT_MS);

  it('summarises to lifetimes’ cdnow_customers_summary (2,357 customers, 946 repeat buyers, 2,457 repeat purchases)', () => {
    expect(sample).toHaveLength(2357);
    expect(sample.filter((s) => s.frequency > 0)).toHaveLength(946);
    expect(sample.reduce((sum, s) => sum + s.frequency, 0)).toBe(2457);
    // Rows of lifetimes' cdnow_customers_summary_with_transactions.csv (ID, x, t_x, T, zbar).
    const rows: [number, number, number, number, number][] = [
      [1, 2, 30.43, 38.86, 22.35],
      [6, 7, 29.43, 38.86, 73.74],
      [26, 1, 1.57, 38.71, 227.14],
      [157, 29, 37.71, 38.0, 26.26],
      [679, 0, 0, 35.0, 0],
    ];
    for (const [id, x, tx, T, zbar] of rows) {
      const s = sample[id - 1]!;
      expect([s.frequency, round2(s.recency), round2(s.T)], `row ${id}`).toEqual([x, tx, T]);
      expect(Math.abs(s.monetaryValueMinor / 100 - zbar), `row ${id} zbar`).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it('has the published log-likelihood −9582.4 at the published BG/NBD parameters', () => {
    const ll = sample.reduce(
      (sum, c) => sum + bgNbdLogLikelihood({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, c),
      0,
    );
    expect(ll).toBeCloseTo(-9582.43, 2);
  });

  it(
    'fits BG/NBD to r = 0.243, α = 4.414, a = 0.793, b = 2.426 and reproduces Hardie’s worksheet',
    () => {
      const fit = fitBgNbd(sample);
      expect(fit.converged).toBe(true);
      const { r, alpha, a, b } = fit.params;
      // lifetimes: npt.assert_array_almost_equal([0.243, 4.414, 0.793, 2.426], params, decimal=3).
      for (const [got, published] of [
        [r, 0.243],
        [alpha, 4.414],
        [a, 0.793],
        [b, 2.426],
      ] as const) {
        expect(Math.abs(got - published)).toBeLessThan(1.5e-3);
      }
      expect(fit.logLikelihood).toBeGreaterThanOrEqual(-9582.43);
      // lifetimes: conditional expectation of customer (x = 2, t_x = 30.43, T = 38.86) over 39 weeks = 1.226.
      const customer: BgNbdCustomer = { frequency: 2, recency: 30.43, T: 38.86 };
      expect(Math.abs(bgNbdConditionalExpectedPurchases(fit.params, 39, customer) - 1.226)).toBeLessThan(1e-3);
      // lifetimes: expected_number_of_purchases_up_to_time at Hardie's times, decimal=3.
      const times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0];
      const hardie = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
      times.forEach((t, i) =>
        expect(Math.abs(bgNbdExpectedPurchases(fit.params, t) - hardie[i]!), `t = ${t}`).toBeLessThan(1.5e-3),
      );
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'fits Gamma-Gamma on the 946 repeat buyers to p = 6.25, q = 3.74, v = 15.44',
    () => {
      const repeat = sample
        .filter((s) => s.frequency > 0)
        .map((s) => ({ frequency: s.frequency, monetaryValue: s.monetaryValueMinor / 100 }));
      const fit = fitGammaGamma(repeat);
      expect(fit.converged).toBe(true);
      // lifetimes: npt.assert_array_almost_equal([6.25, 3.74, 15.44], params, decimal=2).
      expect(Math.abs(fit.params.p - 6.25)).toBeLessThan(0.015);
      expect(Math.abs(fit.params.q - 3.74)).toBeLessThan(0.015);
      expect(Math.abs(fit.params.v - 15.44)).toBeLessThan(0.015);
    },
    FIT_TIMEOUT_MS,
  );
});

describe('customer-value model', () => {
  let histories: PurchaseHistory[];
  beforeAll(() => {
    histories = cdnowHistories(cdnowTransactions()).slice(0, 3000);
  }, FIT_TIMEOUT_MS);

  it(
    'forecasts purchases and value per customer, and scores the same after a JSON round trip',
    () => {
      const model = fitCustomerValueModel(histories, CALIBRATION_END);
      expect(model.fittedOn).toMatchObject({ customers: 3000, bgNbdAtBound: false, gammaGammaAtBound: false });
      const loaded = parseCustomerValueModel(JSON.stringify(model));
      expect(loaded).toEqual(model);
      const forecasts = histories.map((h) => forecastCustomerValue(model, h, CALIBRATION_END)!);
      expect(histories.map((h) => forecastCustomerValue(loaded, h, CALIBRATION_END))).toEqual(forecasts);
      for (const f of forecasts) {
        expect(f.expectedPurchases).toBeGreaterThan(0);
        expect(f.probabilityAlive).toBeGreaterThan(0);
        expect(f.probabilityAlive).toBeLessThanOrEqual(1);
        expect(f.expectedValueMinor).toBeCloseTo(f.expectedPurchases * f.expectedAverageValueMinor, 6);
      }
      // A customer who bought often and recently is expected to buy more than one who went quiet long ago.
      const summaries = histories.map((h) => customerValueSummary(h, CALIBRATION_END, 7)!);
      const busiest = summaries.reduce((best, s, i) => (s.frequency > summaries[best]!.frequency ? i : best), 0);
      const quiet = summaries.findIndex((s) => s.frequency === 0);
      expect(forecasts[busiest]!.expectedPurchases).toBeGreaterThan(5 * forecasts[quiet]!.expectedPurchases);
      expect(
        forecastCustomerValue(model, { customerId: 'x', market: 'US', purchases: [] }, CALIBRATION_END),
      ).toBeNull();
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'says so when the data show no heterogeneity and the fit stops at the edge of its search box',
    () => {
      // Sixty customers who all buy like clockwork and never drop out: the likelihood rises towards
      // a, b → ∞ (a dropout probability with no spread).
      const clockwork: PurchaseHistory[] = Array.from({ length: 60 }, (_, i) => ({
        customerId: `c${i}`,
        market: 'DE',
        purchases: Array.from({ length: 1 + (i % 5) }, (_, k) => ({
          localDate: new Date(Date.UTC(2025, 0, 1 + k * (7 + (i % 11)) + (i % 13))).toISOString().slice(0, 10),
          amountMinor: BigInt(1000 + ((i * 37 + k * 101) % 4000)),
        })),
      }));
      const started = performance.now();
      const model = fitCustomerValueModel(clockwork, '2025-04-30');
      expect(performance.now() - started).toBeLessThan(3000);
      expect(model.fittedOn.bgNbdAtBound).toBe(true);
      expect(Number.isFinite(forecastCustomerValue(model, clockwork[3]!, '2025-04-30')!.expectedPurchases)).toBe(true);
    },
    FIT_TIMEOUT_MS,
  );

  it(
    'refuses a damaged stored model with the field at fault',
    () => {
      const model = fitCustomerValueModel(histories.slice(0, 500), CALIBRATION_END);
      expect(() => parseCustomerValueModel({ ...model, bgNbd: { ...model.bgNbd, alpha: -1 } })).toThrow(
        /not valid at bgNbd.alpha/,
      );
      expect(() => parseCustomerValueModel({ ...model, version: 2 })).toThrow(/not valid at version/);
      expect(() => fitCustomerValueModel(histories, '1996-12-31')).toThrow(/no customer had bought by 1996-12-31/);
    },
    FIT_TIMEOUT_MS,
  );
});

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
