/**
 * Nelder–Mead downhill simplex minimisation, the method scipy's `minimize(method='Nelder-Mead')`
 * implements (reflection 1, expansion 2, contraction ½, shrink ½; stop when the simplex is smaller
 * than `xTolerance` in every coordinate and its values differ by less than `fTolerance`). No Node
 * package for it is maintained; this is the textbook algorithm, small enough to read and tested in
 * test/unit/predictions-numerics.test.ts. Pure and deterministic: the same start gives the same path.
 */

export interface NelderMeadOptions {
  /** Size of the initial simplex along each coordinate. */
  step?: number;
  xTolerance?: number;
  fTolerance?: number;
  maxIterations?: number;
  /**
   * Stop a run whose best value has improved by less than `fTolerance` (relative to its size) over this
   * many iterations per parameter: on a flat ridge (a likelihood that keeps rising slowly towards an
   * edge) the simplex would otherwise crawl until `maxIterations`.
   */
  stallIterationsPerParameter?: number;
  /**
   * Restart from the best point until a run improves the value by less than `fTolerance` (at most this
   * many runs). A simplex can collapse on a ridge before reaching the minimum; a fresh simplex there
   * moves on. lifetimes' `iterative_fitting` restarts for the same reason.
   */
  maxRestarts?: number;
}

/**
 * The box the BG/NBD and Gamma-Gamma fits search, on log-parameters: each parameter (after scaling the
 * data to unit size) between 1e-4 and 1e4. Real purchase data has its optimum well inside; data with
 * no heterogeneity at all (every customer buying at the same rate) drives the likelihood towards
 * infinite parameters, and the fit then stops at the edge and says so (`atBound`) instead of
 * wandering off to values the forecasts cannot evaluate.
 */
export const LOG_PARAMETER_BOUND = Math.log(1e4);

export function outsideLogBounds(logParams: readonly number[]): boolean {
  return logParams.some((p) => !(Math.abs(p) <= LOG_PARAMETER_BOUND));
}

export function atLogBound(logParams: readonly number[]): boolean {
  return logParams.some((p) => Math.abs(p) > LOG_PARAMETER_BOUND - 0.01);
}

export interface NelderMeadResult {
  x: number[];
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

const DEFAULTS: Required<NelderMeadOptions> = {
  step: 0.1,
  xTolerance: 1e-9,
  fTolerance: 1e-12,
  maxIterations: 20_000,
  stallIterationsPerParameter: 100,
  maxRestarts: 5,
};

/** Minimises `f` from `start`. A NaN value is treated as +∞, so `f` may refuse points outside its domain. */
export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const settings = { ...DEFAULTS, ...options };
  let best = simplexRun(f, start, settings);
  let iterations = best.iterations;
  let evaluations = best.evaluations;
  for (let restart = 0; restart < settings.maxRestarts; restart++) {
    const again = simplexRun(f, best.x, settings);
    iterations += again.iterations;
    evaluations += again.evaluations;
    const improved = best.value - again.value;
    if (again.value <= best.value) best = again;
    if (!(improved > settings.fTolerance)) break;
  }
  return { ...best, iterations, evaluations };
}

function simplexRun(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  settings: Required<NelderMeadOptions>,
): NelderMeadResult {
  const n = start.length;
  if (n === 0) throw new RangeError('nelderMead needs at least one parameter');
  let evaluations = 0;
  const value = (x: readonly number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };

  const points: number[][] = [Array.from(start)];
  for (let i = 0; i < n; i++) {
    const p = Array.from(start);
    p[i] = p[i]! + settings.step;
    points.push(p);
  }
  const values = points.map(value);
  if (!Number.isFinite(values[0]!))
    throw new RangeError(`nelderMead: the function is not finite at the start ${JSON.stringify(start)}`);

  let iterations = 0;
  let converged = false;
  const stallWindow = settings.stallIterationsPerParameter * n;
  let checkpointValue = Infinity;
  while (iterations < settings.maxIterations) {
    // Order best → worst; ties keep their order (Array.prototype.sort is stable), so runs repeat exactly.
    const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
    const sortedPoints = order.map((i) => points[i]!);
    const sortedValues = order.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) {
      points[i] = sortedPoints[i]!;
      values[i] = sortedValues[i]!;
    }

    if (simplexSize(points) <= settings.xTolerance && values[n]! - values[0]! <= settings.fTolerance) {
      converged = true;
      break;
    }
    if (iterations % stallWindow === 0) {
      if (checkpointValue - values[0]! <= settings.fTolerance * Math.max(1, Math.abs(values[0]!))) break;
      checkpointValue = values[0]!;
    }
    iterations++;

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let d = 0; d < n; d++) centroid[d]! += points[i]![d]! / n;
    const worst = points[n]!;
    const along = (t: number) => centroid.map((c, d) => c + t * (c - worst[d]!));

    const reflected = along(1);
    const reflectedValue = value(reflected);
    if (reflectedValue < values[0]!) {
      const expanded = along(2);
      const expandedValue = value(expanded);
      if (expandedValue < reflectedValue) replaceWorst(points, values, expanded, expandedValue);
      else replaceWorst(points, values, reflected, reflectedValue);
      continue;
    }
    if (reflectedValue < values[n - 1]!) {
      replaceWorst(points, values, reflected, reflectedValue);
      continue;
    }
    if (reflectedValue < values[n]!) {
      const outside = along(0.5);
      const outsideValue = value(outside);
      if (outsideValue <= reflectedValue) {
        replaceWorst(points, values, outside, outsideValue);
        continue;
      }
    } else {
      const inside = along(-0.5);
      const insideValue = value(inside);
      if (insideValue < values[n]!) {
        replaceWorst(points, values, inside, insideValue);
        continue;
      }
    }
    // Shrink every point halfway towards the best one.
    for (let i = 1; i <= n; i++) {
      points[i] = points[i]!.map((x, d) => points[0]![d]! + 0.5 * (x - points[0]![d]!));
      values[i] = value(points[i]!);
    }
  }

  let bestIndex = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[bestIndex]!) bestIndex = i;
  return { x: points[bestIndex]!, value: values[bestIndex]!, iterations, evaluations, converged };
}

function replaceWorst(points: number[][], values: number[], point: number[], pointValue: number): void {
  points[points.length - 1] = point;
  values[values.length - 1] = pointValue;
}

function simplexSize(points: readonly (readonly number[])[]): number {
  let size = 0;
  const first = points[0]!;
  for (let i = 1; i < points.length; i++) {
    for (let d = 0; d < first.length; d++) size = Math.max(size, Math.abs(points[i]![d]! - first[d]!));
  }
  return size;
}
