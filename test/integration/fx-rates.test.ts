import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFxSchedule, FX_SCHEDULE_ID } from '../../temporal/processes/fx-rates-sync';
import { loadFxDays } from '../../db/fx-rates-store';
import { FxTable } from '../../domain/fx';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { EcbEmulator, startEcbEmulator } from '../emulators/ecb';
import { eventually } from '../support/eventually';

describe('ECB reference rates, synced by a scheduled workflow', () => {
  let ecb: EcbEmulator;
  let d: TestDeployment;

  beforeAll(async () => {
    ecb = await startEcbEmulator();
    d = await createTestDeployment('fx', { MERIDIAN_ECB_BASE_URL: ecb.baseUrl });
    await d.startWorkers(['global']);
  });
  afterAll(async () => {
    await d?.close();
    await ecb?.close();
  });

  const run = (feed: string, id = `fx-test-${feed}-${Date.now()}`) =>
    d.client.workflow.execute('fxRatesSync', { workflowId: id, taskQueue: 'meridian-global', args: [{ feed }] });

  it('stores the last 90 days of the ECB feed with the ECB’s own numbers', async () => {
    const result = await run('90d');
    expect(result).toMatchObject({ days: 64, newest: '2025-05-09' });
    const [usd] = await d.global()
      .sql`select per_eur::text as r from fx_rates where rate_date = '2025-05-09' and currency = 'USD'`;
    expect(Number(usd!.r)).toBe(1.1252);
    const [jpy] = await d.global()
      .sql`select per_eur::text as r from fx_rates where rate_date = '2025-05-09' and currency = 'JPY'`;
    expect(Number(jpy!.r)).toBe(163.36);
    // Stored rates drive exact conversions: a Saturday uses Friday's rate and says so.
    const table = new FxTable(await loadFxDays(d.global().sql));
    expect(table.convert(10_000n, 'JPY', 'EUR', '2025-05-10')).toMatchObject({
      ok: true,
      minor: 6121n,
      rateDate: '2025-05-09',
      fallback: true,
    });
    expect(table.convert(100_00n, 'EUR', 'THB', '2025-05-09')).toMatchObject({
      ok: true,
      minor: 3_713_20n,
      fallback: false,
    });

    // Idempotent: the same days again change nothing.
    const [{ n: before }] = (await d.global().sql`select count(*)::int as n from fx_rates`) as unknown as [
      { n: number },
    ];
    await run('90d');
    const [{ n: after }] = (await d.global().sql`select count(*)::int as n from fx_rates`) as unknown as [
      { n: number },
    ];
    expect(after).toBe(before);
  });

  it('retries through server errors and a maintenance page, then completes', async () => {
    const seen = ecb.requests.length;
    ecb.failNext(2, 503);
    ecb.failNext(1, 'garbage');
    const result = await run('daily');
    expect(result).toMatchObject({ days: 1, newest: '2025-05-09' });
    expect(ecb.requests.length - seen).toBe(4);
  });

  it('fails at once, saying what to check, when the feed answers 404', async () => {
    const seen = ecb.requests.length;
    ecb.failNext(1, 404);
    const failure = (await run('daily').catch((e: unknown) => e)) as WorkflowFailedError;
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure.cause?.cause as Error | undefined)?.message).toMatch(
      /eurofxref-daily\.xml answered 404: check MERIDIAN_ECB_BASE_URL/,
    );
    expect(ecb.requests.length - seen).toBe(1);
  });

  it('keeps a Temporal Schedule on business days at 16:30 Frankfurt time, which ops can trigger', async () => {
    expect(await ensureFxSchedule(d.client, d.config)).toBe('created');
    expect(await ensureFxSchedule(d.client, d.config)).toBe('updated');
    const handle = d.client.schedule.getHandle(FX_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Europe/Berlin');
    expect(described.policies.overlap).toBe('SKIP');
    const next = described.info.nextActionTimes[0]!;
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(next);
    expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 16:30$/);

    const seen = ecb.requests.length;
    await handle.trigger();
    await eventually(
      async () => {
        const { info } = await handle.describe();
        expect(info.recentActions.length).toBeGreaterThan(0);
        const runId = info.recentActions[0]!.action.workflow.workflowId;
        expect((await d.client.workflow.getHandle(runId).describe()).status.name).toBe('COMPLETED');
      },
      60_000,
      500,
    );
    expect(ecb.requests.length).toBeGreaterThan(seen);
    await handle.delete();
  });
});
