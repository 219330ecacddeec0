import { atLogBound, nelderMead, outsideLogBounds } from './nelder-mead';
import { logGamma, logHypergeometric2F1 } from './special-functions';

/**
 * The BG/NBD model of repeat purchasing (Fader, Hardie & Lee, "Counting Your Customers the Easy Way",
 * Marketing Science 2005) exactly as the Python `lifetimes` library's BetaGeoFitter defines it: while
 * alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop
 * out with probability p ~ Beta(a, b). Parameters are fitted by maximum likelihood.
 *
 * Input per customer, in lifetimes' terms and one time unit (lifetimes' docs use weeks):
 * - frequency x: repeat purchases (purchase days after the first; same-day purchases are one),
 * - recency t_x: time from the first to the last purchase,
 * - T: time from the first purchase to the end of the observation period.
 * Pure and deterministic, so workflows can import it.
 */

export interface BgNbdCustomer {
  frequency: number;
  recency: number;
  T: number;
}

export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit {
  params: BgNbdParameters;
  /** Σ log-likelihood over the customers at the fitted parameters. */
  logLikelihood: number;
  customers: number;
  evaluations: number;
  converged: boolean;
  /** The optimum lies at the edge of the search box: the data show no heterogeneity (nelder-mead.ts). */
  atBound: boolean;
}

/**
 * One customer's log-likelihood, lifetimes' `BetaGeoFitter._negative_log_likelihood` term by term:
 * A1 + A2 + ln(e^A3 + [x > 0] e^A4).
 */
export function bgNbdLogLikelihood(params: BgNbdParameters, customer: BgNbdCustomer): number {
  return frequencyTerms(params, customer.frequency) + timeTerms(params, customer);
}

/** A1 + A2: the part that depends on the frequency only (and holds all the log-gammas). */
function frequencyTerms({ r, alpha, a, b }: BgNbdParameters, x: number): number {
  const a1 = logGamma(r + x) - logGamma(r) + r * Math.log(alpha);
  const a2 = logGamma(a + b) + logGamma(b + x) - logGamma(b) - logGamma(a + b + x);
  return a1 + a2;
}

/** ln(e^A3 + [x > 0] e^A4), summed without overflow. */
function timeTerms({ r, alpha, a, b }: BgNbdParameters, { frequency: x, recency, T }: BgNbdCustomer): number {
  const a3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return a3;
  const a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + recency);
  const top = Math.max(a3, a4);
  return top + Math.log(Math.exp(a3 - top) + Math.exp(a4 - top));
}

/**
 * Maximum-likelihood fit. Like lifetimes: times are scaled so the longest T is 10 (the optimiser then
 * starts near the answer whatever the time unit) and α scaled back; the search is on log-parameters
 * (so all four stay positive, within nelder-mead.ts' box) from r = α = a = b = 1, by Nelder–Mead with
 * restarts.
 */
export function fitBgNbd(customers: readonly BgNbdCustomer[]): BgNbdFit {
  if (customers.length === 0) throw new RangeError('BG/NBD needs at least one customer to fit');
  customers.forEach(checkCustomer);
  const maxT = customers.reduce((max, c) => Math.max(max, c.T), 0);
  const scale = maxT > 0 ? 10 / maxT : 1;
  // Customers with the same (x, t_x, T) add the same term: each distinct triple is summed once,
  // weighted by its count, and the log-gammas once per distinct frequency.
  const byFrequency = new Map<number, Map<string, { customer: BgNbdCustomer; count: number }>>();
  for (const c of customers) {
    const scaled = { frequency: c.frequency, recency: c.recency * scale, T: c.T * scale };
    let triples = byFrequency.get(c.frequency);
    if (!triples) byFrequency.set(c.frequency, (triples = new Map()));
    const key = `${scaled.recency}|${scaled.T}`;
    const known = triples.get(key);
    if (known) known.count++;
    else triples.set(key, { customer: scaled, count: 1 });
  }
  const groups = [...byFrequency].map(([x, triples]) => ({
    x,
    count: [...triples.values()].reduce((s, t) => s + t.count, 0),
    triples: [...triples.values()],
  }));
  const meanNegativeLogLikelihood = (logParams: readonly number[]) => {
    if (outsideLogBounds(logParams)) return Infinity;
    const [r, alpha, a, b] = logParams.map(Math.exp) as [number, number, number, number];
    const params = { r, alpha, a, b };
    let sum = 0;
    for (const group of groups) {
      sum += group.count * frequencyTerms(params, group.x);
      for (const { customer, count } of group.triples) sum += count * timeTerms(params, customer);
    }
    return -sum / customers.length;
  };
  const result = nelderMead(meanNegativeLogLikelihood, [0, 0, 0, 0]);
  const [r, alphaScaled, a, b] = result.x.map(Math.exp) as [number, number, number, number];
  const params = { r, alpha: alphaScaled / scale, a, b };
  return {
    params,
    logLikelihood: customers.reduce((sum, c) => sum + bgNbdLogLikelihood(params, c), 0),
    customers: customers.length,
    evaluations: result.evaluations,
    converged: result.converged,
    atBound: atLogBound(result.x),
  };
}

/**
 * Expected repeat purchases in (T, T + t] of a customer with this history: lifetimes'
 * `conditional_expected_number_of_purchases_up_to_time(t, frequency, recency, T)`.
 */
export function bgNbdConditionalExpectedPurchases(params: BgNbdParameters, t: number, customer: BgNbdCustomer): number {
  checkCustomer(customer);
  if (!(t >= 0)) throw new RangeError(`the forecast span must be zero or more, got ${t}`);
  if (t === 0) return 0;
  checkForecastable(params);
  const { r, alpha, a, b } = params;
  const { frequency: x, recency, T } = customer;
  const hypA = r + x;
  const hypB = b + x;
  const hypC = a + b + x - 1;
  const z = t / (alpha + T + t);
  const logHyp = logHypergeometric2F1(hypA, hypB, hypC, z);
  const first = (a + b + x - 1) / (a - 1);
  const second = 1 - Math.exp(logHyp + (r + x) * Math.log((alpha + T) / (alpha + t + T)));
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + recency)) ** (r + x) : 0);
  return finite((first * second) / denominator, 'expected purchases', params);
}

/** Expected purchases in (0, t] of a customer just acquired: lifetimes' `expected_number_of_purchases_up_to_time(t)`. */
export function bgNbdExpectedPurchases(params: BgNbdParameters, t: number): number {
  if (!(t >= 0)) throw new RangeError(`the forecast span must be zero or more, got ${t}`);
  if (t === 0) return 0;
  checkForecastable(params);
  const { r, alpha, a, b } = params;
  const logHyp = logHypergeometric2F1(r, b, a + b - 1, t / (alpha + t));
  return finite(
    ((a + b - 1) / (a - 1)) * (1 - Math.exp(logHyp + r * Math.log(alpha / (alpha + t)))),
    'expected purchases',
    params,
  );
}

/** P(the customer is still alive at T): lifetimes' `conditional_probability_alive`; 1 without repeat purchases. */
export function bgNbdProbabilityAlive(params: BgNbdParameters, customer: BgNbdCustomer): number {
  checkCustomer(customer);
  const { r, alpha, a, b } = params;
  const { frequency: x, recency, T } = customer;
  if (x === 0) return 1;
  const logOdds = (r + x) * Math.log((alpha + T) / (alpha + recency)) + Math.log(a / (b + x - 1));
  return 1 / (1 + Math.exp(logOdds));
}

function checkCustomer(c: BgNbdCustomer): void {
  if (!Number.isInteger(c.frequency) || c.frequency < 0) {
    throw new RangeError(`frequency must be a whole number of repeat purchases, got ${c.frequency}`);
  }
  if (!(c.recency >= 0 && c.T >= c.recency && Number.isFinite(c.T))) {
    throw new RangeError(`recency and T must satisfy 0 ≤ recency ≤ T, got recency ${c.recency}, T ${c.T}`);
  }
  if (c.frequency === 0 && c.recency !== 0)
    throw new RangeError(`a customer without repeat purchases has recency 0, got ${c.recency}`);
}

/** The expectations divide by a − 1 and need a + b > 1 (lifetimes' formulas share both limits). */
function checkForecastable(params: BgNbdParameters): void {
  if (!(params.a + params.b > 1) || params.a === 1) {
    throw new RangeError(
      `BG/NBD parameters ${JSON.stringify(params)} have a + b ≤ 1 or a = 1, where the expected purchases are undefined: refit the model`,
    );
  }
}

function finite(value: number, what: string, params: BgNbdParameters): number {
  if (!Number.isFinite(value))
    throw new RangeError(`${what} is not finite for BG/NBD parameters ${JSON.stringify(params)}: refit the model`);
  return value;
}
