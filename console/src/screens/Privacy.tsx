import { type FormEvent, useMemo, useState } from 'react';
import { api, type ConsoleUser, csvHref, query } from '../api';
import { Chart } from '../Chart';
import { Time, useWords } from '../i18n';
import { can, Field, Message, Section, Status, TemporalLink, useLoad } from '../ui';

/**
 * Screen 6, privacy: requests soonest deadline first (overdue highlighted), one request with its
 * status per region and system, manual tasks to mark done, the certificate to download, legal
 * holds, consent propagation tasks, the data-flow map (sources → region → connected systems, as an
 * ECharts sankey) and the audit log with its CSV.
 */

interface Listed {
  id: string;
  region: string;
  type: string;
  status: string;
  jurisdiction: string;
  receivedAt: string;
  dueDate: string;
  deadline?: string;
}
interface RequestView {
  id: string;
  region: string;
  type: string;
  status: string;
  systems: {
    region: string;
    connectorId: string;
    system: string;
    operation: string;
    status: string;
    updatedAt: string;
  }[];
  certificate?: unknown;
}
const MANUAL = new Set(['waiting-on-operator', 'manual']);

export default function Privacy({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const [open, setOpen] = useState<string>();
  return (
    <>
      <h1>{w.t('privacy.title')}</h1>
      <Requests onOpen={setOpen} />
      {open ? <RequestDetail id={open} user={user} /> : null}
      {can(user, 'privacy.manage') ? <Holds /> : null}
      {can(user, 'privacy.manage') ? <Propagation /> : null}
      <DataMap />
      {can(user, 'audit.read') ? <Audit user={user} /> : null}
    </>
  );
}

function Requests({ onOpen }: { onOpen(id: string): void }) {
  const w = useWords();
  const requests = useLoad(() => api<{ requests: Listed[] }>('GET', '/admin/privacy-requests'), []);
  const today = new Date().toISOString().slice(0, 10);
  const sorted = [...(requests.data?.requests ?? [])].sort((a, b) => a.dueDate.localeCompare(b.dueDate));
  const done = (s: string) => ['completed', 'rejected', 'duplicate', 'cancelled'].includes(s);
  return (
    <Section
      title={w.t('privacy.requests')}
      actions={
        <button type="button" className="secondary" onClick={requests.reload}>
          {w.t('common.refresh')}
        </button>
      }
    >
      <Status loaded={requests} />
      <table className="requests">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">{w.t('privacy.type')}</th>
            <th scope="col">{w.t('common.region')}</th>
            <th scope="col">{w.t('common.status')}</th>
            <th scope="col">{w.t('privacy.received')}</th>
            <th scope="col">{w.t('privacy.due')}</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => {
            const overdue = !done(r.status) && (r.dueDate < today || r.deadline === 'overdue');
            return (
              <tr key={r.id} className={overdue ? 'overdue' : undefined} data-request={r.id}>
                <td>
                  <button type="button" className="secondary" onClick={() => onOpen(r.id)}>
                    <code>{r.id}</code>
                  </button>
                </td>
                <td>{r.type}</td>
                <td>{r.region}</td>
                <td>{r.status}</td>
                <td>
                  <Time value={r.receivedAt} />
                </td>
                <td>
                  {w.date(r.dueDate)} {overdue ? <strong className="error">{w.t('privacy.overdue')}</strong> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}

function RequestDetail({ id, user }: { id: string; user: ConsoleUser }) {
  const w = useWords();
  const view = useLoad(() => api<RequestView>('GET', `/admin/privacy-requests/${id}`), [id]);
  const [note, setNote] = useState<{ text: string; kind: 'ok' | 'error' }>();
  const certificateHref = useMemo(
    () =>
      view.data?.certificate
        ? URL.createObjectURL(new Blob([JSON.stringify(view.data.certificate, null, 2)], { type: 'application/json' }))
        : undefined,
    [view.data],
  );
  const complete = async (s: RequestView['systems'][number]) => {
    try {
      await api(
        'POST',
        `/admin/privacy-requests/${id}/manual-tasks/${s.region}/${encodeURIComponent(s.connectorId)}/complete`,
        {
          operation: s.operation === 'suppress' || s.operation === 'correct' ? s.operation : 'erase',
        },
      );
      setNote({ text: w.t('privacy.completed'), kind: 'ok' });
      setTimeout(view.reload, 1500);
    } catch (e) {
      setNote({ text: (e as Error).message, kind: 'error' });
    }
  };
  return (
    <Section
      title={`${w.t('privacy.open')} ${id}`}
      actions={
        <>
          <TemporalLink workflowId={`dsar-${id}`} />
          <button type="button" className="secondary" onClick={view.reload}>
            {w.t('common.refresh')}
          </button>
        </>
      }
    >
      <Status loaded={view} />
      {view.data ? (
        <>
          <p>
            {view.data.type} · {view.data.region} · <strong data-request-status>{view.data.status}</strong>
          </p>
          <h3>{w.t('privacy.systems')}</h3>
          <table>
            <thead>
              <tr>
                <th scope="col">{w.t('common.region')}</th>
                <th scope="col">{w.t('privacy.system')}</th>
                <th scope="col">{w.t('common.status')}</th>
                <th scope="col">{w.t('privacy.manualTasks')}</th>
              </tr>
            </thead>
            <tbody>
              {view.data.systems.map((s) => (
                <tr key={`${s.region}/${s.connectorId}/${s.operation}`} data-system={s.connectorId}>
                  <td>{s.region}</td>
                  <td>
                    {s.system} <code>{s.connectorId}</code> ({s.operation})
                  </td>
                  <td>{s.status}</td>
                  <td>
                    {MANUAL.has(s.status) && can(user, 'privacy.manage') ? (
                      <button type="button" onClick={() => complete(s)}>
                        {w.t('privacy.complete')} <span className="sr-only">{s.connectorId}</span>
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Message text={note?.text} kind={note?.kind} />
          {certificateHref ? (
            <p>
              <a href={certificateHref} download={`certificate-${id}.json`} className="certificate">
                {w.t('privacy.certificate')}
              </a>
            </p>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

function Holds() {
  const w = useWords();
  const [customerId, setCustomerId] = useState('');
  const [region, setRegion] = useState('eu');
  const [scope, setScope] = useState<'orders' | 'all'>('orders');
  const [reason, setReason] = useState('');
  const [note, setNote] = useState<{ text: string; kind: 'ok' | 'error' }>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await api<{ hold: { id: string } }>('POST', '/admin/legal-holds', {
        customerId,
        region,
        scope,
        reason,
      });
      setNote({ text: r.hold?.id ?? 'ok', kind: 'ok' });
    } catch (error) {
      setNote({ text: (error as Error).message, kind: 'error' });
    }
  };
  return (
    <Section title={w.t('privacy.holds')}>
      <form className="filters" onSubmit={submit} aria-label={w.t('privacy.placeHold')}>
        <Field label={w.t('privacy.customerId')}>
          {(id) => <input id={id} value={customerId} required onChange={(e) => setCustomerId(e.target.value)} />}
        </Field>
        <Field label={w.t('common.region')}>
          {(id) => <input id={id} value={region} required onChange={(e) => setRegion(e.target.value)} />}
        </Field>
        <Field label={w.t('privacy.scope')}>
          {(id) => (
            <select id={id} value={scope} onChange={(e) => setScope(e.target.value as 'orders' | 'all')}>
              <option value="orders">orders</option>
              <option value="all">all</option>
            </select>
          )}
        </Field>
        <Field label={w.t('privacy.reason')}>
          {(id) => <input id={id} value={reason} required minLength={3} onChange={(e) => setReason(e.target.value)} />}
        </Field>
        <button type="submit">{w.t('privacy.placeHold')}</button>
      </form>
      <Message text={note?.text} kind={note?.kind} />
    </Section>
  );
}

function Propagation() {
  const w = useWords();
  const [propagationId, setPropagationId] = useState('');
  const [connectorId, setConnectorId] = useState('');
  const [note, setNote] = useState<{ text: string; kind: 'ok' | 'error' }>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api(
        'POST',
        `/admin/consent-propagations/${encodeURIComponent(propagationId)}/manual-tasks/${encodeURIComponent(connectorId)}/complete`,
        {},
      );
      setNote({ text: w.t('privacy.completed'), kind: 'ok' });
    } catch (error) {
      setNote({ text: (error as Error).message, kind: 'error' });
    }
  };
  return (
    <Section title={w.t('privacy.propagation')}>
      <form className="filters" onSubmit={submit}>
        <Field label={w.t('privacy.propagationId')}>
          {(id) => <input id={id} value={propagationId} required onChange={(e) => setPropagationId(e.target.value)} />}
        </Field>
        <Field label={w.t('privacy.connectorId')}>
          {(id) => <input id={id} value={connectorId} required onChange={(e) => setConnectorId(e.target.value)} />}
        </Field>
        <button type="submit">{w.t('privacy.complete')}</button>
      </form>
      <Message text={note?.text} kind={note?.kind} />
    </Section>
  );
}

interface DataMapAnswer {
  regions: {
    region: string;
    sources: { id: string; name: string; kind: string; categories: string[] }[];
    connectedSystems: { connectorId: string; system: string; receives: string[] }[];
  }[];
}

function DataMap() {
  const w = useWords();
  const map = useLoad(() => api<DataMapAnswer>('GET', '/admin/data-map'), []);
  const option = useMemo(() => {
    if (!map.data) return undefined;
    // Which categories go from which source into which region, and on to which system (what each receives).
    const nodes = new Map<string, { name: string }>();
    const links: { source: string; target: string; value: number }[] = [];
    const node = (name: string) => nodes.set(name, { name });
    for (const r of map.data.regions) {
      const region = `◉ ${r.region}`;
      node(region);
      for (const s of r.sources) {
        const source = `${s.name} (${r.region})`;
        node(source);
        for (const category of s.categories) {
          const c = `${category} → ${r.region}`;
          node(c);
          links.push({ source, target: c, value: 1 });
        }
      }
      for (const c of nodes.keys())
        if (c.endsWith(`→ ${r.region}`)) links.push({ source: c, target: region, value: 1 });
      for (const system of r.connectedSystems) {
        const target = `${system.system} · ${system.connectorId}`;
        node(target);
        links.push({ source: region, target, value: Math.max(1, system.receives.length) });
      }
    }
    return {
      tooltip: { trigger: 'item' },
      series: [{ type: 'sankey', data: [...nodes.values()], links, emphasis: { focus: 'adjacency' }, nodeGap: 12 }],
    };
  }, [map.data]);
  return (
    <Section title={w.t('privacy.dataMap')}>
      <Status loaded={map} />
      {option && option.series[0]!.links.length > 0 ? (
        <Chart label={w.t('privacy.dataMap')} option={option} height={420} />
      ) : null}
      {map.data ? (
        <details>
          <summary>{w.t('segments.definition')}</summary>
          <ul>
            {map.data.regions.flatMap((r) =>
              r.sources.map((s) => (
                <li key={`${r.region}/${s.id}`}>
                  {r.region} ← {s.name}: {s.categories.join(', ')}
                </li>
              )),
            )}
          </ul>
        </details>
      ) : null}
    </Section>
  );
}

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actorRole: string;
  action: string;
  customerId: string | null;
  fields: string[];
  route: string;
  reason: string | null;
}

/** The audit of one region at a time (each region keeps its own, append-only). */
function Audit({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const regions = useLoad(
    () =>
      user.regions === '*'
        ? api<DataMapAnswer>('GET', '/admin/data-map').then((m) => m.regions.map((r) => r.region))
        : Promise.resolve(user.regions),
    [],
  );
  const [chosen, setChosen] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const region = chosen || regions.data?.[0] || '';
  const filters = { region, from, to, limit: 100 };
  const audit = useLoad(
    () =>
      region
        ? api<{ entries: AuditEntry[]; nextCursor: number | null }>('GET', `/admin/audit${query(filters)}`)
        : Promise.resolve({ entries: [], nextCursor: null }),
    [region, from, to],
  );
  return (
    <Section
      title={w.t('audit.title')}
      actions={
        region ? (
          <a href={csvHref('/admin/audit', filters)} download={`audit-${region}.csv`}>
            {w.t('common.csv')} <span className="sr-only">{w.t('audit.title')}</span>
          </a>
        ) : null
      }
    >
      <div className="row">
        <Field label={w.t('common.region')}>
          {(id) => (
            <select id={id} value={region} onChange={(e) => setChosen(e.target.value)}>
              {(regions.data ?? []).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={w.t('common.from')}>
          {(id) => <input id={id} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={w.t('common.to')}>
          {(id) => <input id={id} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
      </div>
      <Status loaded={audit} />
      <div className="scroll" tabIndex={0} role="region" aria-label={w.t('audit.title')}>
        <table className="audit">
          <thead>
            <tr>
              <th scope="col">{w.t('audit.when')}</th>
              <th scope="col">{w.t('audit.who')}</th>
              <th scope="col">{w.t('audit.what')}</th>
              <th scope="col">{w.t('audit.subject')}</th>
              <th scope="col">{w.t('audit.fields')}</th>
              <th scope="col">{w.t('privacy.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {(audit.data?.entries ?? []).map((e) => (
              <tr key={e.id}>
                <td>
                  <Time value={e.at} />
                </td>
                <td>
                  {e.actor} ({e.actorRole})
                </td>
                <td>
                  {e.action} <code>{e.route}</code>
                </td>
                <td>{e.customerId ? <code>{e.customerId}</code> : '—'}</td>
                <td>{e.fields.join(', ')}</td>
                <td>{e.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
