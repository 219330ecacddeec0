import { atLogBound, nelderMead, outsideLogBounds } from './nelder-mead';
import { logGamma } from './special-functions';

/**
 * The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee, "RFM and CLV: Using Iso-value
 * Curves", JMR 2005; Colombo & Jiang 1999) exactly as the Python `lifetimes` library's GammaGammaFitter
 * defines it: a customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, v) across customers.
 * Fitted on customers with at least one repeat purchase, from their number of repeat purchases x and
 * the mean value m of those repeat purchases (the first purchase is left out, as lifetimes does).
 * It assumes spend and purchase frequency are independent; check their correlation before relying on it.
 * Pure and deterministic, so workflows can import it.
 */

export interface GammaGammaCustomer {
  /** Repeat purchases, ≥ 1. */
  frequency: number;
  /** Mean value of the repeat purchases, > 0. */
  monetaryValue: number;
}

export interface GammaGammaParameters {
  p: number;
  q: number;
  v: number;
}

export interface GammaGammaFit {
  params: GammaGammaParameters;
  logLikelihood: number;
  customers: number;
  evaluations: number;
  converged: boolean;
  /** The optimum lies at the edge of the search box (nelder-mead.ts): spend shows no heterogeneity. */
  atBound: boolean;
}

/** One customer's log-likelihood, lifetimes' `GammaGammaFitter._negative_log_likelihood` term by term. */
export function gammaGammaLogLikelihood(params: GammaGammaParameters, customer: GammaGammaCustomer): number {
  return frequencyTerms(params, customer.frequency) + valueTerms(params, customer);
}

/** ln Γ(px + q) − ln Γ(px) − ln Γ(q) + q ln v + px ln x: the part that depends on the frequency only. */
function frequencyTerms({ p, q, v }: GammaGammaParameters, x: number): number {
  return logGamma(p * x + q) - logGamma(p * x) - logGamma(q) + q * Math.log(v) + p * x * Math.log(x);
}

/** (px − 1) ln m − (px + q) ln(x m + v). */
function valueTerms({ p, q, v }: GammaGammaParameters, { frequency: x, monetaryValue: m }: GammaGammaCustomer): number {
  return (p * x - 1) * Math.log(m) - (p * x + q) * Math.log(x * m + v);
}

/**
 * Maximum-likelihood fit on log-parameters (within nelder-mead.ts' box) from p = q = v = 1, by
 * Nelder–Mead with restarts. Values are scaled to a mean of 1 first (v carries the money unit and is
 * scaled back), so minor units fit as well as major ones.
 */
export function fitGammaGamma(customers: readonly GammaGammaCustomer[]): GammaGammaFit {
  if (customers.length === 0)
    throw new RangeError('Gamma-Gamma needs at least one customer with a repeat purchase to fit');
  customers.forEach(checkCustomer);
  const scale = customers.length / customers.reduce((s, c) => s + c.monetaryValue, 0);
  // The log-gammas depend on the frequency only: once per distinct frequency and evaluation.
  const byFrequency = new Map<number, GammaGammaCustomer[]>();
  for (const c of customers) {
    const scaled = { frequency: c.frequency, monetaryValue: c.monetaryValue * scale };
    const list = byFrequency.get(c.frequency);
    if (list) list.push(scaled);
    else byFrequency.set(c.frequency, [scaled]);
  }
  const meanNegativeLogLikelihood = (logParams: readonly number[]) => {
    if (outsideLogBounds(logParams)) return Infinity;
    const [p, q, v] = logParams.map(Math.exp) as [number, number, number];
    const params = { p, q, v };
    let sum = 0;
    for (const [x, list] of byFrequency) {
      sum += list.length * frequencyTerms(params, x);
      for (const c of list) sum += valueTerms(params, c);
    }
    return -sum / customers.length;
  };
  const result = nelderMead(meanNegativeLogLikelihood, [0, 0, 0]);
  const [p, q, vScaled] = result.x.map(Math.exp) as [number, number, number];
  const params = { p, q, v: vScaled / scale };
  return {
    params,
    logLikelihood: customers.reduce((s, c) => s + gammaGammaLogLikelihood(params, c), 0),
    customers: customers.length,
    evaluations: result.evaluations,
    converged: result.converged,
    atBound: atLogBound(result.x),
  };
}

/**
 * Expected mean value of the customer's future transactions: lifetimes'
 * `conditional_expected_average_profit` — the population mean p·v/(q − 1) shrunk towards the customer's
 * own mean with weight p·x / (p·x + q − 1). A customer without repeat purchases gets the population mean.
 */
export function gammaGammaExpectedAverageValue(
  params: GammaGammaParameters,
  customer: { frequency: number; monetaryValue: number },
): number {
  const { p, q, v } = params;
  if (!(q > 1))
    throw new RangeError(
      `the spend model has q = ${q} ≤ 1, so its mean spend is unbounded: refit it on more repeat buyers`,
    );
  const populationMean = (p * v) / (q - 1);
  const x = customer.frequency;
  if (x === 0) return populationMean;
  const weight = (p * x) / (p * x + q - 1);
  return (1 - weight) * populationMean + weight * customer.monetaryValue;
}

function checkCustomer(c: GammaGammaCustomer): void {
  if (!Number.isInteger(c.frequency) || c.frequency < 1) {
    throw new RangeError(
      `Gamma-Gamma is fitted on repeat buyers only: frequency must be a whole number ≥ 1, got ${c.frequency}`,
    );
  }
  if (!(c.monetaryValue > 0) || !Number.isFinite(c.monetaryValue)) {
    throw new RangeError(`Gamma-Gamma needs a positive mean repeat purchase value, got ${c.monetaryValue}`);
  }
}
