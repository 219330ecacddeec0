import { useEffect, useState } from 'react';
import { PURPOSES } from '../../../domain/consent';
import { api, type ConsoleUser } from '../api';
import { useWords } from '../i18n';
import { Chart } from '../Chart';
import { can, DataTable, Field, Message, Section, Status, useLoad } from '../ui';
import { listSegments, listTags, tagLabel } from './shared';

/**
 * Screen 4, segments and tags: a condition builder that writes the segment definition of
 * domain/segments.ts ({all|any: [conditions]}), with a live count while editing (the preview API,
 * debounced) per region, a sample of members; the tag catalogue with labels in the user's language
 * and promotion of a local tag to central.
 */

type Kind = 'trait' | 'tag' | 'consent' | 'market' | 'event';
interface Row {
  kind: Kind;
  key: string;
  op: string;
  value: string;
  purpose: string;
  state: 'granted' | 'denied';
  countries: string;
  atLeast: string;
  withinDays: string;
}
const blank = (kind: Kind): Row => ({
  kind,
  key: '',
  op: 'eq',
  value: '',
  purpose: PURPOSES[0],
  state: 'granted',
  countries: '',
  atLeast: '1',
  withinDays: '30',
});
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'exists', 'contains'];

/** A typed value: numbers and true/false as such, the rest as text. */
const typed = (text: string): string | number | boolean =>
  text === 'true'
    ? true
    : text === 'false'
      ? false
      : text.trim() !== '' && !Number.isNaN(Number(text))
        ? Number(text)
        : text;

export function conditionOf(row: Row): Record<string, unknown> | undefined {
  switch (row.kind) {
    case 'trait':
      if (!row.key) return undefined;
      return row.op === 'exists'
        ? { type: 'trait', key: row.key, op: 'exists' }
        : { type: 'trait', key: row.key, op: row.op, value: typed(row.value) };
    case 'tag':
      return row.key ? { type: 'tag', key: row.key, has: true } : undefined;
    case 'consent':
      return { type: 'consent', purpose: row.purpose, state: row.state };
    case 'market': {
      const countries = row.countries
        .split(/[\s,]+/)
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean);
      return countries.length ? { type: 'market', countries } : undefined;
    }
    case 'event':
      return row.key
        ? {
            type: 'event',
            name: row.key,
            ...(row.atLeast ? { atLeast: Number(row.atLeast) } : {}),
            ...(row.withinDays ? { withinDays: Number(row.withinDays) } : {}),
          }
        : undefined;
  }
}

interface Preview {
  regions: Record<string, number>;
  total: number;
  sample: string[];
}

export default function Segments({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const regions = user.regions === '*' ? ['group'] : user.regions;
  const [name, setName] = useState('');
  const [owner, setOwner] = useState(regions[0] ?? 'group');
  const [combine, setCombine] = useState<'all' | 'any'>('all');
  const [rows, setRows] = useState<Row[]>([blank('market')]);
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [saveError, setSaveError] = useState<string>();
  const [historyOf, setHistoryOf] = useState<{ id: string; name: string }>();
  const conditions = rows.map(conditionOf).filter((c): c is Record<string, unknown> => c !== undefined);
  const definition = { [combine]: conditions };
  const definitionText = JSON.stringify(definition);
  const segments = useLoad(listSegments, [saved]);

  // The live count: the preview API, 400 ms after the last edit.
  useEffect(() => {
    if (conditions.length === 0) {
      setPreview(undefined);
      return;
    }
    const timer = setTimeout(() => {
      api<Preview>('POST', '/admin/segments/preview', { definition: JSON.parse(definitionText), owner }).then(
        (p) => {
          setPreview(p);
          setPreviewError(undefined);
        },
        (e: unknown) => setPreviewError((e as Error).message),
      );
    }, 400);
    return () => clearTimeout(timer);
  }, [definitionText, owner, conditions.length]);

  const update = (i: number, patch: Partial<Row>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <>
      <h1>{w.t('segments.title')}</h1>
      <Section title={w.t('segments.builder')}>
        <div className="row">
          <Field label={w.t('common.name')}>
            {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label={w.t('segments.owner')}>
            {(id) => (
              <select id={id} value={owner} onChange={(e) => setOwner(e.target.value)}>
                {user.regions === '*' ? <option value="group">{w.t('segments.group')}</option> : null}
                {(user.regions === '*' ? [] : user.regions).map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={w.t('segments.combine')}>
            {(id) => (
              <select id={id} value={combine} onChange={(e) => setCombine(e.target.value as 'all' | 'any')}>
                <option value="all">{w.t('segments.all')}</option>
                <option value="any">{w.t('segments.any')}</option>
              </select>
            )}
          </Field>
        </div>
        {rows.map((row, i) => (
          // biome-ignore lint: rows have no identity of their own
          <fieldset className="condition" key={i}>
            <legend className="sr-only">{`${w.t('segments.kind')} ${i + 1}`}</legend>
            <Field label={w.t('segments.kind')}>
              {(id) => (
                <select
                  id={id}
                  data-role="kind"
                  value={row.kind}
                  onChange={(e) => update(i, blank(e.target.value as Kind))}
                >
                  {(['trait', 'tag', 'consent', 'market', 'event'] as const).map((k) => (
                    <option key={k} value={k}>
                      {w.t(`segments.kind.${k}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {row.kind === 'trait' || row.kind === 'tag' || row.kind === 'event' ? (
              <Field label={w.t('segments.key')}>
                {(id) => (
                  <input id={id} data-role="key" value={row.key} onChange={(e) => update(i, { key: e.target.value })} />
                )}
              </Field>
            ) : null}
            {row.kind === 'trait' ? (
              <>
                <Field label={w.t('segments.op')}>
                  {(id) => (
                    <select id={id} value={row.op} onChange={(e) => update(i, { op: e.target.value })}>
                      {OPS.map((o) => (
                        <option key={o} value={o}>
                          {o}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                {row.op !== 'exists' ? (
                  <Field label={w.t('segments.value')}>
                    {(id) => (
                      <input
                        id={id}
                        data-role="value"
                        value={row.value}
                        onChange={(e) => update(i, { value: e.target.value })}
                      />
                    )}
                  </Field>
                ) : null}
              </>
            ) : null}
            {row.kind === 'consent' ? (
              <>
                <Field label={w.t('profiles.purpose')}>
                  {(id) => (
                    <select id={id} value={row.purpose} onChange={(e) => update(i, { purpose: e.target.value })}>
                      {PURPOSES.map((p) => (
                        <option key={p} value={p}>
                          {p}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label={w.t('common.status')}>
                  {(id) => (
                    <select
                      id={id}
                      value={row.state}
                      onChange={(e) => update(i, { state: e.target.value as 'granted' | 'denied' })}
                    >
                      <option value="granted">{w.t('segments.granted')}</option>
                      <option value="denied">{w.t('segments.denied')}</option>
                    </select>
                  )}
                </Field>
              </>
            ) : null}
            {row.kind === 'market' ? (
              <Field label={w.t('segments.countries')}>
                {(id) => (
                  <input
                    id={id}
                    data-role="countries"
                    value={row.countries}
                    onChange={(e) => update(i, { countries: e.target.value })}
                  />
                )}
              </Field>
            ) : null}
            {row.kind === 'event' ? (
              <>
                <Field label={w.t('segments.atLeast')}>
                  {(id) => (
                    <input
                      id={id}
                      type="number"
                      min={0}
                      value={row.atLeast}
                      onChange={(e) => update(i, { atLeast: e.target.value })}
                    />
                  )}
                </Field>
                <Field label={w.t('segments.withinDays')}>
                  {(id) => (
                    <input
                      id={id}
                      type="number"
                      min={1}
                      value={row.withinDays}
                      onChange={(e) => update(i, { withinDays: e.target.value })}
                    />
                  )}
                </Field>
              </>
            ) : null}
            <button type="button" className="secondary" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              {w.t('common.remove')}
            </button>
          </fieldset>
        ))}
        <div className="row">
          <button type="button" className="secondary" onClick={() => setRows([...rows, blank('trait')])}>
            {w.t('segments.add')}
          </button>
          {can(user, 'segments.write') ? (
            <button
              type="button"
              disabled={!name || conditions.length === 0}
              onClick={async () => {
                setSaveError(undefined);
                try {
                  const r = await api<{ segment: { id: string } }>('POST', '/admin/segments', {
                    name,
                    owner,
                    definition,
                  });
                  setSaved(w.t('segments.saved', { id: r.segment.id }));
                } catch (e) {
                  setSaveError((e as Error).message);
                }
              }}
            >
              {w.t('segments.create')}
            </button>
          ) : null}
        </div>
        <Message text={saved} />
        <Message text={saveError} kind="error" />
        <div className="grid">
          <div>
            <h3>{w.t('segments.liveCount')}</h3>
            <p className="count" aria-live="polite" data-live-count={preview?.total ?? ''}>
              {preview ? w.number(preview.total) : '—'}
            </p>
            <Message text={previewError} kind="error" />
            <h3>{w.t('segments.perRegion')}</h3>
            <ul>
              {Object.entries(preview?.regions ?? {}).map(([r, n]) => (
                <li key={r} data-region-count={r}>
                  {r}: {w.number(n)}
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3>{w.t('segments.sample')}</h3>
            <ul>
              {preview?.sample.slice(0, 10).map((id) => (
                <li key={id}>
                  <code>{id}</code>
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3>{w.t('segments.definition')}</h3>
            <pre data-definition>{JSON.stringify(definition, null, 2)}</pre>
          </div>
        </div>
      </Section>
      <Section title={w.t('segments.existing')}>
        <Status loaded={segments} />
        <table>
          <tbody>
            {segments.data?.map((s) => (
              <tr key={s.id} aria-current={s.id === historyOf?.id || undefined}>
                <th scope="row">
                  <button type="button" className="secondary" onClick={() => setHistoryOf(s)}>
                    {s.name}
                  </button>
                </th>
                <td>
                  <code>{s.id}</code>
                </td>
                <td>{s.owner}</td>
                <td>v{s.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {historyOf ? <MembershipHistory segment={historyOf} /> : null}
      </Section>
      <TagCatalogue user={user} />
    </>
  );
}

interface MembershipDay {
  day: string;
  members: number;
  entered: number;
  exited: number;
}

/** Membership over time: members at the end of each day of the last 30, with entries and exits (counts only). */
function MembershipHistory({ segment }: { segment: { id: string; name: string } }) {
  const w = useWords();
  const history = useLoad(
    () => api<{ days: MembershipDay[] }>('GET', `/admin/segments/${segment.id}/history?days=30`),
    [segment.id],
  );
  const days = history.data?.days ?? [];
  const series = (key: 'members' | 'entered' | 'exited', type: 'line' | 'bar') => ({
    name: w.t(`segments.history.${key}`),
    type,
    data: days.map((d) => d[key]),
  });
  return (
    <div data-history={segment.id}>
      <h3>{w.t('segments.history', { name: segment.name })}</h3>
      <Status loaded={history} />
      {days.length > 0 ? (
        <>
          <Chart
            label={w.t('segments.history', { name: segment.name })}
            height={260}
            option={{
              tooltip: { trigger: 'axis' },
              legend: {},
              xAxis: { type: 'category', data: days.map((d) => w.date(d.day)) },
              yAxis: { type: 'value', minInterval: 1 },
              series: [series('members', 'line'), series('entered', 'bar'), series('exited', 'bar')],
            }}
          />
          <details>
            <summary>{w.t('segments.history.table')}</summary>
            <DataTable
              rows={days}
              rowKey={(d) => d.day}
              columns={[
                { header: w.t('segments.history.day'), rowHeader: true, cell: (d) => w.date(d.day) },
                ...(['members', 'entered', 'exited'] as const).map((key) => ({
                  header: w.t(`segments.history.${key}`),
                  numeric: true,
                  cell: (d: MembershipDay) => w.number(d[key]),
                })),
              ]}
            />
          </details>
        </>
      ) : null}
    </div>
  );
}

function TagCatalogue({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const tags = useLoad(listTags, []);
  const [note, setNote] = useState<string>();
  return (
    <Section title={w.t('tags.title')}>
      <Status loaded={tags} />
      <Message text={note} />
      <table>
        <thead>
          <tr>
            <th scope="col">{w.t('tags.label')}</th>
            <th scope="col">{w.t('tags.key')}</th>
            <th scope="col">{w.t('tags.owner')}</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {tags.data?.map((t) => (
            <tr key={t.key}>
              <th scope="row">{tagLabel(t, w.locale)}</th>
              <td>
                <code>{t.key}</code>
              </td>
              <td>{t.owner === 'group' ? w.t('market.central') : `${w.t('market.local')} (${t.owner})`}</td>
              <td>
                {t.owner !== 'group' && can(user, 'tags.write') && user.regions === '*' ? (
                  <button
                    type="button"
                    className="secondary"
                    onClick={async () => {
                      try {
                        await api('POST', `/admin/tags/${encodeURIComponent(t.key)}/promote`);
                        setNote(w.t('tags.promoted', { key: t.key }));
                        tags.reload();
                      } catch (e) {
                        setNote(w.t('common.error', { message: (e as Error).message }));
                      }
                    }}
                  >
                    {w.t('tags.promote')} <span className="sr-only">{t.key}</span>
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
