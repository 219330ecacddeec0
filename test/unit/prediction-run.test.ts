import { describe, expect, it } from 'vitest';
import { CHURN_HIGH_BAND, MODEL_TAGS, predictionsInputSchema, scoreRun, trainChurn } from '../../domain/prediction-run';
import { cdnowHistories } from '../support/cdnow';

describe('prediction run (platform side of domain/predictions)', () => {
  const histories = cdnowHistories().slice(0, 3000);

  it('trains the churn forest 90 days back with the depth chosen on held-out training customers', () => {
    const training = trainChurn(histories, '1997-09-30');
    if (!training.trained) throw new Error(training.reason);
    expect(training.metrics.trainAsOf).toBe('1997-07-02');
    expect(training.metrics.labelsUntil).toBe('1997-09-30');
    expect(training.metrics.depths.map((d) => d.maxDepth)).toEqual([4, 6, 8]);
    expect(training.metrics.checkAuc).toBe(Math.max(...training.metrics.depths.map((d) => d.checkAuc)));
    expect(training.metrics.checkAuc).toBeGreaterThan(0.6);
  });

  it('refuses to train on too few customers, or on one outcome only, and says why', () => {
    expect(trainChurn(histories.slice(0, 10), '1997-09-30')).toMatchObject({ trained: false, rows: 10 });
    // As of 1997-03-31 the features would be as of 1996-12-31: nobody had bought yet (CDNOW starts in 1997).
    expect(trainChurn(histories, '1997-03-31')).toMatchObject({ trained: false, rows: 0 });
  });

  it('scores every buyer: one lifecycle tag each, the top tenth by churn risk tagged high', () => {
    const training = trainChurn(histories, '1997-09-30');
    if (!training.trained) throw new Error(training.reason);
    const run = scoreRun(histories, '1997-09-30', training.model, null);
    const lifecycle = run.tags.filter((t) => t.tagKey.startsWith('lifecycle_'));
    expect(lifecycle).toHaveLength(histories.length);
    expect(new Set(lifecycle.map((t) => t.customerId)).size).toBe(histories.length);
    const high = run.tags.filter((t) => t.tagKey === 'churn_risk_high');
    expect(high.length).toBeGreaterThanOrEqual(Math.ceil(histories.length * CHURN_HIGH_BAND));
    const scores = run.values.filter((v) => v.traitId === 'churn_risk').map((v) => v.value as number);
    const lowestHigh = Math.min(...high.map((t) => t.score!));
    expect(scores.filter((s) => s > lowestHigh).length).toBeLessThan(high.length);
    // Without a value model there are no value forecasts.
    expect(run.values.some((v) => v.traitId === 'expected_value_90d')).toBe(false);
    expect(MODEL_TAGS.every((t) => t.labels.en && t.labels.zh && t.labels.de)).toBe(true);
  });

  it('takes a date, or nothing, as the workflow input', () => {
    expect(predictionsInputSchema.safeParse({ asOf: '1997-09-30' }).success).toBe(true);
    expect(predictionsInputSchema.safeParse({}).success).toBe(true);
    expect(predictionsInputSchema.safeParse({ asOf: '1997-02-30' }).success).toBe(false);
    expect(predictionsInputSchema.safeParse({ asOf: '30.09.1997' }).success).toBe(false);
  });
});
