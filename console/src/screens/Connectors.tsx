import { useEffect, useState } from 'react';
import { api, type ConsoleUser } from '../api';
import { Time, useWords } from '../i18n';
import { can, DataTable, Message, Section, Status, TemporalLink, useLoad } from '../ui';

/**
 * Screen 7, connectors and sources: each connector's Temporal schedule (paused or not, next runs),
 * its recent syncs with live progress (polled while one runs), the records it rejected (reasons,
 * never values), a sync started by hand; the sources with the hint of their write keys.
 */

interface ConnectorListed {
  id: string;
  system: string;
  name: string;
  region: string;
}
interface Details extends ConnectorListed {
  schedule: { scheduleId: string; paused: boolean; nextActionTimes: string[]; timeZone: string } | null;
  recentSyncs: {
    syncId: string;
    workflowId: string;
    status: string;
    pages: number;
    customers: number;
    orders: number;
    rejected: number;
    error: string | null;
    startedAt: string;
    finishedAt: string | null;
  }[];
}
interface Source {
  id: string;
  name: string;
  region: string;
  kind: string;
  writeKeyHint: string;
}

export default function Connectors({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const connectors = useLoad(() => api<{ connectors: ConnectorListed[] }>('GET', '/admin/connectors'), []);
  const sources = useLoad(() => api<{ sources: Source[] }>('GET', '/admin/sources'), []);
  return (
    <>
      <h1>{w.t('connectors.title')}</h1>
      <Status loaded={connectors} />
      {connectors.data?.connectors.map((c) => (
        <ConnectorCard key={c.id} id={c.id} user={user} />
      ))}
      <Section title={w.t('connectors.sources')}>
        <Status loaded={sources} />
        <DataTable
          rows={sources.data?.sources}
          rowKey={(s) => s.id}
          columns={[
            {
              header: w.t('common.name'),
              rowHeader: true,
              cell: (s) => (
                <>
                  {s.name} <code>{s.id}</code>
                </>
              ),
            },
            { header: w.t('common.region'), cell: (s) => s.region },
            { header: w.t('connectors.kind'), cell: (s) => s.kind },
            { header: w.t('connectors.writeKey'), cell: (s) => <code>…{s.writeKeyHint}</code> },
          ]}
        />
      </Section>
    </>
  );
}

function ConnectorCard({ id, user }: { id: string; user: ConsoleUser }) {
  const w = useWords();
  const details = useLoad(() => api<Details>('GET', `/admin/connectors/${id}`), [id]);
  const rejections = useLoad(
    () =>
      api<{ rejections: { stream?: string; reason: string; at?: string; rejectedAt?: string }[] }>(
        'GET',
        `/admin/connectors/${id}/rejections`,
      ).catch(() => ({ rejections: [] })),
    [id],
  );
  const [note, setNote] = useState<{ text: string; kind: 'ok' | 'error' }>();
  const running = details.data?.recentSyncs.some((s) => s.status === 'running') ?? false;
  // Live progress: poll while a sync runs.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(details.reload, 3000);
    return () => clearInterval(timer);
  }, [running, details.reload]);
  const d = details.data;
  return (
    <Section
      title={d ? `${d.name} · ${d.system} · ${d.region}` : id}
      actions={
        can(user, 'connectors.manage') ? (
          <button
            type="button"
            onClick={async () => {
              try {
                await api('POST', `/admin/connectors/${id}/sync`, {});
                setNote({ text: w.t('connectors.syncNow'), kind: 'ok' });
                details.reload();
              } catch (e) {
                setNote({ text: (e as Error).message, kind: 'error' });
              }
            }}
          >
            {w.t('connectors.syncNow')} <span className="sr-only">{id}</span>
          </button>
        ) : null
      }
    >
      <Status loaded={details} />
      <Message text={note?.text} kind={note?.kind} />
      {d ? (
        <>
          <h3>{w.t('connectors.schedule')}</h3>
          {d.schedule ? (
            <p>
              <code>{d.schedule.scheduleId}</code> {d.schedule.paused ? w.t('connectors.paused') : ''} ·{' '}
              {d.schedule.nextActionTimes.slice(0, 3).map((t) => (
                <span key={t}>
                  <Time value={t} />{' '}
                </span>
              ))}
            </p>
          ) : (
            <p className="muted">{w.t('common.none')}</p>
          )}
          <h3>{w.t('connectors.syncs')}</h3>
          <DataTable
            rows={d.recentSyncs}
            rowKey={(s) => s.syncId}
            columns={[
              { header: w.t('common.status'), cell: (s) => s.status },
              {
                header: w.t('connectors.progress'),
                cell: (s) => (
                  <>
                    {s.status === 'running' ? <progress aria-label={w.t('connectors.progress')} /> : null}{' '}
                    {w.number(s.pages)}
                  </>
                ),
              },
              { header: w.t('insights.customers'), numeric: true, cell: (s) => w.number(s.customers) },
              { header: w.t('insights.orders'), numeric: true, cell: (s) => w.number(s.orders) },
              { header: w.t('connectors.rejections'), numeric: true, cell: (s) => w.number(s.rejected) },
              { header: w.t('common.from'), cell: (s) => <Time value={s.startedAt} /> },
              { header: '', cell: (s) => <TemporalLink workflowId={s.workflowId} /> },
            ]}
          />
          {rejections.data && rejections.data.rejections.length > 0 ? (
            <>
              <h3>{w.t('connectors.rejections')}</h3>
              <ul>
                {rejections.data.rejections.slice(0, 20).map((r, i) => (
                  <li key={i}>
                    <Time value={r.at ?? r.rejectedAt} /> {r.stream ?? ''} {r.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}
