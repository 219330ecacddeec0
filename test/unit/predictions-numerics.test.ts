import { describe, expect, it } from 'vitest';
import { areaUnderRocCurve, meanAbsoluteError, rootMeanSquaredError, topFractionLift } from '../../domain/predictions';
import { nelderMead } from '../../domain/predictions/nelder-mead';
import { logGamma, logHypergeometric2F1 } from '../../domain/predictions/special-functions';
import { seededRandom } from '../../domain/seeded-random';

describe('special functions', () => {
  it('computes ln Γ to 1e-13 against exact factorials and Γ(½) = √π', () => {
    let factorial = 1;
    for (let n = 1; n <= 20; n++) {
      expect(logGamma(n + 1)).toBeCloseTo(Math.log((factorial *= n)), 12);
    }
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(1.5)).toBeCloseTo(Math.log(0.5 * Math.sqrt(Math.PI)), 14);
    expect(logGamma(0.01)).toBeCloseTo(4.599479878042022, 12);
    expect(logGamma(100)).toBeCloseTo(359.1342053695754, 10);
    expect(() => logGamma(0)).toThrow(RangeError);
  });

  it('sums ln 2F1 to closed forms: 2F1(1,1;2;z) = −ln(1−z)/z and 2F1(a,b;b;z) = (1−z)^−a', () => {
    for (const z of [0.1, 0.5, 0.9, 0.99]) {
      expect(logHypergeometric2F1(1, 1, 2, z)).toBeCloseTo(Math.log(-Math.log(1 - z) / z), 12);
      expect(logHypergeometric2F1(0.37, 2.5, 2.5, z)).toBeCloseTo(-0.37 * Math.log(1 - z), 12);
    }
    expect(logHypergeometric2F1(3, 4, 5, 0)).toBe(0);
    expect(() => logHypergeometric2F1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => logHypergeometric2F1(-1, 1, 2, 0.5)).toThrow(/needs a, b, c > 0/);
  });

  it("stays finite where the plain sum overflows, and agrees with Euler's transformation there", () => {
    // A customer with 2,000 repeat purchases in the BG/NBD conditional expectation:
    // 2F1(r + x, b + x; a + b + x − 1; z) ≈ (1 − z)^−x, far beyond a double.
    const [r, a, b, x, z] = [0.24, 1.3, 2.43, 2000, 0.45];
    const direct = logHypergeometric2F1(r + x, b + x, a + b + x - 1, z);
    expect(direct).toBeGreaterThan(1000);
    // Euler: 2F1(A, B; C; z) = (1 − z)^(C−A−B) 2F1(C−A, C−B; C; z), whose parameters stay small here.
    const [A, B, C] = [r + x, b + x, a + b + x - 1];
    const euler = logHypergeometric2F1(C - A, C - B, C, z) + (C - A - B) * Math.log(1 - z);
    expect(direct).toBeCloseTo(euler, 8);
  });
});

describe('Nelder–Mead', () => {
  it('finds the minimum of the Rosenbrock valley from the textbook start', () => {
    const rosenbrock = ([x, y]: readonly number[]) => (1 - x!) ** 2 + 100 * (y! - x! ** 2) ** 2;
    const result = nelderMead(rosenbrock, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
    expect(result.value).toBeLessThan(1e-12);
  });

  it('minimises a four-parameter quadratic, skips NaN regions, and repeats its path exactly', () => {
    const target = [0.3, -2, 5, 1.5];
    const bowl = (x: readonly number[]) =>
      x[0]! < -10 ? NaN : x.reduce((s, v, i) => s + (i + 1) * (v - target[i]!) ** 2, 0);
    const first = nelderMead(bowl, [0, 0, 0, 0]);
    first.x.forEach((v, i) => expect(v).toBeCloseTo(target[i]!, 5));
    expect(nelderMead(bowl, [0, 0, 0, 0])).toEqual(first);
    expect(() => nelderMead(() => NaN, [0])).toThrow(/not finite at the start/);
  });

  it('stops on a ridge that keeps rising towards a wall instead of crawling to the iteration limit', () => {
    // Decreasing towards x → ∞, refused past x = 9: the best point is at the wall.
    const ridge = ([x, y]: readonly number[]) => (x! > 9 ? Infinity : Math.exp(-x!) + (y! - 1) ** 2);
    const result = nelderMead(ridge, [0, 0]);
    expect(result.x[0]).toBeGreaterThan(8.9);
    expect(result.x[1]).toBeCloseTo(1, 3);
    expect(result.evaluations).toBeLessThan(10_000);
  });
});

describe('evaluation measures', () => {
  it('computes ROC AUC as the Mann–Whitney statistic, ties counting half', () => {
    expect(areaUnderRocCurve([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    expect(areaUnderRocCurve([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(areaUnderRocCurve([4, 3, 2, 1], [false, false, true, true])).toBe(0);
    expect(areaUnderRocCurve([5, 5, 5, 5], [true, false, true, false])).toBe(0.5);
    // One positive tied with one of two negatives, above the other: (1 + ½) / 2.
    expect(areaUnderRocCurve([2, 2, 1], [true, false, false])).toBe(0.75);
    expect(() => areaUnderRocCurve([1, 2], [true, true])).toThrow(/both positive and negative/);
  });

  it('computes top-decile lift, sharing a tie that straddles the cut in proportion', () => {
    const scores = Array.from({ length: 20 }, (_, i) => 20 - i);
    const labels = scores.map((_, i) => i < 2 || i === 10 || i === 15 || i === 19); // 5 of 20; the top 2 positive
    expect(topFractionLift(scores, labels)).toBe(4); // precision 1 ÷ base rate 0.25
    // The top two cases tie with a third (one positive among them): 2 of 3 taken, 2/3 positive expected.
    const tied = [9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const tiedLabels = tied.map((_, i) => i === 0 || i === 10);
    expect(topFractionLift(tied, tiedLabels)).toBeCloseTo(((2 / 3) * 1) / 2 / (2 / 20), 12);
    expect(() => topFractionLift([1], [false])).toThrow(/at least one positive/);
  });

  it('computes MAE and RMSE', () => {
    expect(meanAbsoluteError([1, 2, 3], [1, 4, 0])).toBeCloseTo(5 / 3, 14);
    expect(rootMeanSquaredError([1, 2, 3], [1, 4, 0])).toBeCloseTo(Math.sqrt(13 / 3), 14);
    expect(() => meanAbsoluteError([1], [1, 2])).toThrow(/1 predictions but 2 outcomes/);
  });
});

describe('seeded random numbers', () => {
  it('repeats a sequence for a seed, differs for another, and stays in [0, 1)', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(43)).not.toEqual(draw(42));
    const values = draw(7);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(0.5, 1);
  });
});
