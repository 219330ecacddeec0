import { useState } from 'react';
import { api, type ConsoleUser } from '../api';
import { useWords } from '../i18n';
import { navigate } from '../router';
import { Field, Section, Status, useLoad } from '../ui';
import { InsightsView } from './Insights';
import { loadInsights } from './insights-data';
import { listJourneys, listSegments, listTags, tagLabel } from './shared';

/**
 * Screen 2, one market: its figures (the insight screen filtered to it), its tags (central and
 * the local ones of its region), the segments and journeys that run there, and the audience
 * layer's marketing suggestions for a segment (GET /admin/segments/:id/suggestions).
 */
export default function Market({ user, market }: { user: ConsoleUser; market: string | undefined }) {
  const w = useWords();
  const markets = useLoad(() => loadInsights({}).then((r) => r.markets), []);
  const region = markets.data?.find((m) => m.market === market)?.region;
  return (
    <>
      <h1>{market ? w.t('market.title', { market }) : w.t('nav.market')}</h1>
      <Status loaded={markets} />
      <div className="row">
        <Field label={w.t('market.choose')}>
          {(id) => (
            <select id={id} value={market ?? ''} onChange={(e) => navigate(`/market/${e.target.value}`)}>
              <option value="">—</option>
              {[...new Set(markets.data?.map((m) => m.market) ?? [])].sort().map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {market ? (
        <>
          <InsightsView user={user} market={market} />
          <MarketLists user={user} region={region} />
        </>
      ) : null}
    </>
  );
}

function MarketLists({ user, region }: { user: ConsoleUser; region: string | undefined }) {
  const w = useWords();
  const inMarket = (owner: string) => owner === 'group' || owner === region;
  const tags = useLoad(() => listTags().then((t) => t.filter((tag) => inMarket(tag.owner))), [region]);
  const segments = useLoad(
    () => (user.capabilities.includes('segments.read') ? listSegments() : Promise.resolve([])),
    [region],
  );
  const journeys = useLoad(
    () => (user.capabilities.includes('journeys.read') ? listJourneys() : Promise.resolve([])),
    [region],
  );
  const [segmentId, setSegmentId] = useState('');
  const suggestions = useLoad(
    () =>
      segmentId
        ? api<{ members: number; suggestion: Record<string, unknown> }>(
            'GET',
            `/admin/segments/${segmentId}/suggestions`,
          )
        : Promise.resolve(undefined),
    [segmentId],
  );
  const marketSegments = segments.data?.filter((s) => inMarket(s.owner)) ?? [];
  return (
    <div className="grid">
      <Section title={w.t('market.tags')}>
        <Status loaded={tags} />
        <ul>
          {tags.data?.map((t) => (
            <li key={t.key}>
              {tagLabel(t, w.locale)} <code>{t.key}</code> —{' '}
              {t.owner === 'group' ? w.t('market.central') : w.t('market.local')}
            </li>
          ))}
        </ul>
      </Section>
      <Section title={w.t('market.segments')}>
        <Status loaded={segments} />
        <ul>
          {marketSegments.map((s) => (
            <li key={s.id}>
              {s.name} <code>{s.id}</code> ({s.owner})
            </li>
          ))}
        </ul>
      </Section>
      <Section title={w.t('market.journeys')}>
        <Status loaded={journeys} />
        <ul>
          {journeys.data
            ?.filter((j) => inMarket(j.owner))
            .map((j) => (
              <li key={j.id}>
                {j.name} <code>{j.id}</code> — {j.status} v{j.version}
              </li>
            ))}
        </ul>
      </Section>
      <Section title={w.t('market.suggestions')}>
        <Field label={w.t('market.suggestionsFor')}>
          {(id) => (
            <select id={id} value={segmentId} onChange={(e) => setSegmentId(e.target.value)}>
              <option value="">—</option>
              {marketSegments.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Status loaded={suggestions} />
        {suggestions.data ? (
          <dl>
            <dt>{w.t('common.total')}</dt>
            <dd>{w.t('common.people', { count: suggestions.data.members })}</dd>
            {Object.entries(suggestions.data.suggestion).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>
                  {typeof v === 'number'
                    ? k.startsWith('share') || k.startsWith('activityShare')
                      ? w.percent(v)
                      : w.number(v)
                    : typeof v === 'object' && v
                      ? Object.entries(v)
                          .map(([c, n]) => `${c}: ${w.number(Number(n))}`)
                          .join(', ')
                      : String(v ?? '—')}
                </dd>
              </div>
            ))}
          </dl>
        ) : null}
      </Section>
    </div>
  );
}
