import { type FormEvent, type ReactElement, useState } from 'react';
import { api, type ConsoleUser, csvHref } from '../api';
import { Chart } from '../Chart';
import { useWords } from '../i18n';
import { Field, Message, Section, Status, useLoad } from '../ui';
import { type InsightFilters, type InsightsAnswer, loadInsights, withRange } from './insights-data';

/**
 * Screen 1, global insight (HQ): KPI tiles, revenue by market, activity heatmap (each person's
 * local hour × weekday), channel engagement and consent coverage, cohort retention; filters by
 * date range, brand and market; each table downloads as the API's CSV.
 */
export default function Insights({ user }: { user: ConsoleUser }) {
  const w = useWords();
  return (
    <>
      <h1>{w.t('insights.title')}</h1>
      <InsightsView user={user} />
    </>
  );
}

const TABLES = ['markets', 'heatmap', 'channels', 'cohorts'] as const;

export function InsightsView({ user, market }: { user: ConsoleUser; market?: string }) {
  const w = useWords();
  const [filters, setFilters] = useState<InsightFilters>(() => withRange(market ? { market } : {}));
  const [draft, setDraft] = useState<InsightFilters>(filters);
  const [note, setNote] = useState<string>();
  const brands = useLoad(
    () => api<{ brands: { id: string; name: string }[] }>('GET', '/admin/brands').catch(() => ({ brands: [] })),
    [],
  );
  const effective = withRange(market ? { ...filters, market } : filters);
  const insights = useLoad(() => loadInsights(effective), [JSON.stringify(effective)]);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const csv = (table: (typeof TABLES)[number]) => (
    <a className="csv" href={csvHref('/admin/insights', { ...effective, table })} download={`${table}.csv`}>
      {w.t('common.csv')} <span className="sr-only">{table}</span>
    </a>
  );

  return (
    <>
      <form className="filters" onSubmit={apply} aria-label={w.t('insights.filters')}>
        <Field label={w.t('common.from')}>
          {(id) => (
            <input
              id={id}
              type="date"
              value={draft.from ?? ''}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
            />
          )}
        </Field>
        <Field label={w.t('common.to')}>
          {(id) => (
            <input
              id={id}
              type="date"
              value={draft.to ?? ''}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
            />
          )}
        </Field>
        <Field label={w.t('common.brand')}>
          {(id) => (
            <select
              id={id}
              value={draft.brandId ?? ''}
              onChange={(e) => setDraft({ ...draft, brandId: e.target.value })}
            >
              <option value="">{w.t('common.all')}</option>
              {brands.data?.brands.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {market ? null : (
          <Field label={w.t('common.market')}>
            {(id) => (
              <select
                id={id}
                value={draft.market ?? ''}
                onChange={(e) => setDraft({ ...draft, market: e.target.value })}
              >
                <option value="">{w.t('common.all')}</option>
                {[...new Set(insights.data?.markets.map((m) => m.market) ?? [])].sort().map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <button type="submit">{w.t('common.refresh')}</button>
        {user.capabilities.includes('settings.write') || user.capabilities.includes('insights.read') ? (
          <button
            type="button"
            className="secondary"
            onClick={async () => {
              try {
                await api('POST', '/admin/insights/refresh');
                setNote(w.t('insights.refreshStarted'));
              } catch (error) {
                setNote(w.t('common.error', { message: (error as Error).message }));
              }
            }}
          >
            {w.t('insights.refreshNow')}
          </button>
        ) : null}
      </form>
      <Message text={note} />
      <Status loaded={insights} />
      {insights.data ? <Figures data={insights.data} csv={csv} /> : null}
    </>
  );
}

function Figures({ data, csv }: { data: InsightsAnswer; csv(table: (typeof TABLES)[number]): ReactElement }) {
  const w = useWords();
  const money = (v: number) => w.money(v, data.reportingCurrency);
  const tiles: [string, string][] = [
    [w.t('insights.customers'), w.number(data.totals.customers)],
    [w.t('insights.activeCustomers'), w.number(data.totals.activeCustomers)],
    [w.t('insights.orders'), w.number(data.totals.orders)],
    [w.t('insights.revenue', { currency: data.reportingCurrency }), money(data.totals.revenue)],
    [w.t('insights.averageOrderValue'), money(data.totals.averageOrderValue)],
    [w.t('insights.repeatRate'), w.percent(data.totals.repeatRate)],
    [w.t('insights.newCustomers'), w.number(data.totals.newCustomers)],
    [w.t('insights.returningCustomers'), w.number(data.totals.returningCustomers)],
  ];
  // One bar per market (brands summed), largest first.
  const byMarket = new Map<string, number>();
  for (const m of data.markets) byMarket.set(m.market, (byMarket.get(m.market) ?? 0) + m.revenue);
  const bars = [...byMarket].sort((a, b) => b[1] - a[1]);
  const weekdays = [1, 2, 3, 4, 5, 6, 7].map((d) =>
    new Intl.DateTimeFormat(w.locale, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, d))),
  );
  const maxEvents = Math.max(1, ...data.heatmap.map((h) => h.events));
  const months = Math.max(0, ...data.cohorts.map((c) => c.retained.length));

  return (
    <>
      {data.refreshedAt ? (
        <p className="muted">{w.t('insights.refreshedAt', { time: w.dateTime(data.refreshedAt) })}</p>
      ) : null}
      <dl className="tiles">
        {tiles.map(([label, value]) => (
          <div className="tile" key={label}>
            <dt>{label}</dt>
            <dd data-kpi={label}>{value}</dd>
          </div>
        ))}
      </dl>
      <div className="grid">
        <Section title={w.t('insights.revenueByMarket')} actions={csv('markets')}>
          <Chart
            label={w.t('insights.revenueByMarket')}
            option={{
              tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => money(Number(v)) },
              grid: { containLabel: true, left: 8, right: 8, top: 16, bottom: 8 },
              xAxis: { type: 'category', data: bars.map(([m]) => m) },
              yAxis: { type: 'value', axisLabel: { formatter: (v: number) => w.number(v, { notation: 'compact' }) } },
              series: [
                {
                  type: 'bar',
                  name: data.reportingCurrency,
                  data: bars.map(([, v]) => v),
                  itemStyle: { color: '#0b5cad' },
                },
              ],
            }}
          />
          <div className="scroll" tabIndex={0} role="region" aria-label={w.t('insights.markets')}>
            <table className="markets">
              <caption className="sr-only">{w.t('insights.markets')}</caption>
              <thead>
                <tr>
                  <th scope="col">{w.t('common.market')}</th>
                  <th scope="col">{w.t('common.brand')}</th>
                  <th scope="col" className="num">
                    {w.t('insights.customers')}
                  </th>
                  <th scope="col" className="num">
                    {w.t('insights.orders')}
                  </th>
                  <th scope="col" className="num">
                    {w.t('insights.revenue', { currency: data.reportingCurrency })}
                  </th>
                  <th scope="col" className="num">
                    {w.t('insights.averageOrderValue')}
                  </th>
                  <th scope="col" className="num">
                    {w.t('insights.repeatRate')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.markets.map((m) => (
                  <tr key={`${m.market}-${m.brandId}`} data-market={m.market} data-brand={m.brandId}>
                    <th scope="row">{m.market}</th>
                    <td>{m.brandId}</td>
                    <td className="num">{w.number(m.customers)}</td>
                    <td className="num">{w.number(m.orders)}</td>
                    <td className="num" data-revenue={m.revenue}>
                      {money(m.revenue)}
                    </td>
                    <td className="num">{money(m.averageOrderValue)}</td>
                    <td className="num">{w.percent(m.repeatRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
        <Section title={w.t('insights.heatmap')} actions={csv('heatmap')}>
          <Chart
            label={w.t('insights.heatmap')}
            option={{
              tooltip: { position: 'top' },
              grid: { containLabel: true, left: 8, right: 8, top: 8, bottom: 64 },
              xAxis: {
                type: 'category',
                name: w.t('insights.hour'),
                data: Array.from({ length: 24 }, (_, h) => String(h)),
              },
              yAxis: { type: 'category', data: weekdays },
              visualMap: {
                min: 0,
                max: maxEvents,
                orient: 'horizontal',
                left: 'center',
                bottom: 0,
                itemHeight: 160,
                text: [w.number(maxEvents), '0'],
                calculable: false,
              },
              series: [
                {
                  type: 'heatmap',
                  name: w.t('insights.events'),
                  data: data.heatmap.map((h) => [h.hour, h.weekday - 1, h.events]),
                },
              ],
            }}
          />
        </Section>
        <Section title={w.t('insights.channels')} actions={csv('channels')}>
          <Chart
            label={w.t('insights.channels')}
            option={{
              tooltip: { trigger: 'axis' },
              legend: { bottom: 0 },
              grid: { containLabel: true, left: 8, right: 8, top: 8, bottom: 32 },
              xAxis: { type: 'category', data: data.channels.map((c) => c.channel) },
              yAxis: { type: 'value' },
              series: (['engaged', 'consented', 'reachable'] as const).map((k) => ({
                type: 'bar',
                name: w.t(`insights.${k}`),
                data: data.channels.map((c) => c[k]),
              })),
            }}
          />
        </Section>
        <Section title={w.t('insights.cohorts')} actions={csv('cohorts')}>
          <div className="scroll" tabIndex={0} role="region" aria-label={w.t('insights.cohorts')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{w.t('insights.cohort')}</th>
                  <th scope="col" className="num">
                    {w.t('insights.size')}
                  </th>
                  {Array.from({ length: months }, (_, i) => (
                    <th scope="col" className="num" key={i}>
                      {w.t('insights.monthN', { n: i + 1 })}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.cohorts.map((c) => (
                  <tr key={c.cohort}>
                    <th scope="row">{c.cohort}</th>
                    <td className="num">{w.number(c.size)}</td>
                    {c.retained.map((r, i) => (
                      <td className="num" key={i}>
                        {c.size ? w.percent(r / c.size) : '—'}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      </div>
    </>
  );
}
