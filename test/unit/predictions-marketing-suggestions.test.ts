import { describe, expect, it } from 'vitest';
import { suggestMarketing, CHURN_RISK_THRESHOLD } from '../../domain/predictions';

const hours = (entries: Record<number, number>) => Array.from({ length: 24 }, (_, h) => entries[h] ?? 0);

describe('marketing suggestions per segment', () => {
  it('suggests the busiest local hour, the widest consented channel and the share at churn risk', () => {
    const suggestion = suggestMarketing({
      activityByLocalHour: hours({ 8: 5, 9: 20, 10: 30, 11: 25, 20: 40 }),
      consentedReach: { email: 812, sms: 240, push: 913, line: 0 },
      churnScores: [0.1, 0.5, 0.7, 0.2, 0.49, 0.9, 0.05, 0.3],
    });
    // 20:00 alone is the busiest hour, but 09–11 holds 75 of 120 activities against 40 around 20:00.
    expect(suggestion).toEqual({
      bestLocalSendHour: 10,
      activityShareAroundBestHour: 75 / 120,
      bestChannel: 'push',
      bestChannelReach: 913,
      shareAtChurnRisk: 3 / 8, // 0.5, 0.7 and 0.9: the threshold itself counts as at risk
      membersScored: 8,
      churnRiskThreshold: CHURN_RISK_THRESHOLD,
    });
  });

  it('wraps the hour window around midnight and breaks ties the same way every time', () => {
    expect(
      suggestMarketing({ activityByLocalHour: hours({ 23: 10, 0: 10, 1: 10 }), consentedReach: {}, churnScores: [] })
        .bestLocalSendHour,
    ).toBe(0);
    // Two equal windows (7–9 and 18–20): the busier centre hour wins, 19.
    const tied = hours({ 7: 10, 8: 10, 9: 10, 18: 5, 19: 20, 20: 5 });
    expect(suggestMarketing({ activityByLocalHour: tied, consentedReach: {}, churnScores: [] }).bestLocalSendHour).toBe(
      19,
    );
    // Equal reach: the channel named first alphabetically, whatever the key order.
    expect(
      suggestMarketing({ activityByLocalHour: hours({}), consentedReach: { sms: 5, email: 5 }, churnScores: [] })
        .bestChannel,
    ).toBe('email');
    expect(
      suggestMarketing({ activityByLocalHour: hours({}), consentedReach: { email: 5, sms: 5 }, churnScores: [] })
        .bestChannel,
    ).toBe('email');
  });

  it('answers null where a segment has nothing to go on, and takes another threshold', () => {
    const empty = suggestMarketing({ activityByLocalHour: hours({}), consentedReach: { email: 0 }, churnScores: [] });
    expect(empty).toMatchObject({
      bestLocalSendHour: null,
      activityShareAroundBestHour: null,
      bestChannel: null,
      bestChannelReach: 0,
      shareAtChurnRisk: null,
    });
    const strict = suggestMarketing(
      { activityByLocalHour: hours({}), consentedReach: {}, churnScores: [0.5, 0.8, 0.95] },
      { churnRiskThreshold: 0.9 },
    );
    expect(strict.shareAtChurnRisk).toBeCloseTo(1 / 3, 14);
  });

  it('refuses malformed aggregates, saying what is expected', () => {
    const valid = { activityByLocalHour: hours({}), consentedReach: {}, churnScores: [] };
    expect(() => suggestMarketing({ ...valid, activityByLocalHour: [1, 2] })).toThrow(
      /needs 24 counts \(hours 0–23\), got 2/,
    );
    expect(() => suggestMarketing({ ...valid, activityByLocalHour: hours({ 3: -1 }) })).toThrow(
      /activity at hour 3 is -1/,
    );
    expect(() => suggestMarketing({ ...valid, consentedReach: { email: 2.5 } })).toThrow(
      /consented reach of email is 2.5/,
    );
    expect(() => suggestMarketing({ ...valid, churnScores: [1.2] })).toThrow(
      /churn score 0 is 1.2: scores are probabilities/,
    );
    expect(() => suggestMarketing(valid, { churnRiskThreshold: 2 })).toThrow(/between 0 and 1/);
  });
});
