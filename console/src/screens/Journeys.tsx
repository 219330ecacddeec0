import {
  addEdge,
  Background,
  type Connection,
  Controls,
  type Edge,
  type Node,
  ReactFlow,
  useEdgesState,
  useNodesState,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Liquid } from 'liquidjs';
import { useEffect, useMemo, useState } from 'react';
import { instantAt } from '../../../domain/local-time';
import { textDirection } from '../../../domain/messages/i18n';
import { countSmsSegments } from '../../../domain/sms-segments';
import { api, type ConsoleUser } from '../api';
import { Time, useWords } from '../i18n';
import { can, DataTable, Field, Message, Section, Status, TemporalLink, useLoad } from '../ui';
import { type Journey, journeyWorkflowPrefix, listJourneys } from './shared';

/**
 * Screen 5, journeys and broadcasts: a graph editor (@xyflow/react) for the nodes of
 * domain/journeys.ts (drag to place, connect handles to set `next`), publish as a new journey or a
 * new version, pause and resume; templates edited per locale and channel with a preview (Liquid,
 * SMS segment count, right-to-left for Arabic); broadcasts with the UTC instant their local send
 * time falls on in each time zone.
 */

const CHANNELS = ['email', 'sms', 'push', 'line', 'webhook'] as const; // domain/quiet-hours.ts CHANNELS
type NodeType = 'message' | 'delay' | 'waitForEvent' | 'exit';
type JNode =
  | { type: 'message'; channel: string; templateRef: string; next: string }
  | { type: 'delay'; seconds: number; next: string }
  | { type: 'waitForEvent'; event: string; timeoutSeconds: number; next: string; onTimeout: string }
  | { type: 'exit' };
interface Graph {
  entry: { type: 'event'; event: string };
  start: string;
  nodes: Record<string, JNode>;
}

const starter = (): Graph => ({
  entry: { type: 'event', event: 'Signed Up' },
  start: 'welcome',
  nodes: { welcome: { type: 'message', channel: 'sms', templateRef: '', next: 'done' }, done: { type: 'exit' } },
});

function edgesOf(graph: Graph): Edge[] {
  return Object.entries(graph.nodes).flatMap(([id, n]) => {
    const out: [string, string][] = [];
    if ('next' in n && n.next) out.push(['next', n.next]);
    if (n.type === 'waitForEvent' && n.onTimeout) out.push(['onTimeout', n.onTimeout]);
    return out
      .filter(([, to]) => graph.nodes[to])
      .map(([field, to]) => ({ id: `${id}-${field}`, source: id, target: to, label: field === 'next' ? '' : field }));
  });
}

/** A first place for each node: one row per step from the start, side by side within a row. */
function layers(graph: Graph): (id: string) => { x: number; y: number } {
  const depth = new Map<string, number>([[graph.start, 0]]);
  const queue = [graph.start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of edgesOf(graph).filter((e) => e.source === id))
      if (!depth.has(e.target)) {
        depth.set(e.target, depth.get(id)! + 1);
        queue.push(e.target);
      }
  }
  const row = new Map<number, string[]>();
  for (const id of Object.keys(graph.nodes)) {
    const d = depth.get(id) ?? depth.size;
    row.set(d, [...(row.get(d) ?? []), id]);
  }
  return (id) => {
    const d = depth.get(id) ?? depth.size;
    return { x: 40 + (row.get(d) ?? []).indexOf(id) * 220, y: 20 + d * 100 };
  };
}

export default function Journeys({ user }: { user: ConsoleUser }) {
  const w = useWords();
  return (
    <>
      <h1>{w.t('nav.journeys')}</h1>
      <JourneyEditor user={user} />
      <Templates user={user} />
      <Broadcasts user={user} />
    </>
  );
}

function JourneyEditor({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const journeys = useLoad(listJourneys, []);
  const templates = useLoad(
    () => api<{ templates: { id: string; name: string; channel: string }[] }>('GET', '/admin/templates'),
    [],
  );
  const brands = useLoad(() => api<{ brands: { id: string; name: string }[] }>('GET', '/admin/brands'), []);
  const [editing, setEditing] = useState<Journey>();
  const [name, setName] = useState('');
  const [owner, setOwner] = useState(user.regions === '*' ? 'group' : (user.regions[0] ?? 'group'));
  const [brandId, setBrandId] = useState('');
  const [graph, setGraph] = useState<Graph>(starter);
  const [selected, setSelected] = useState<string>('welcome');
  const [newType, setNewType] = useState<NodeType>('message');
  const [note, setNote] = useState<{ text: string; kind: 'ok' | 'error' }>();
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const stats = useLoad(
    () =>
      editing
        ? api<{ total: { nodes: Record<string, NodeCounts> } }>('GET', `/admin/journeys/${editing.id}/stats`).then(
            (r) => r.total.nodes,
          )
        : Promise.resolve(undefined),
    [editing?.id],
  );
  const counts = stats.data;

  useEffect(() => {
    if (!brandId && brands.data?.brands[0]) setBrandId(brands.data.brands[0].id);
  }, [brands.data, brandId]);

  // Nodes keep the place the user dragged them to; a new one is placed by its distance from the start.
  useEffect(() => {
    const place = layers(graph);
    setNodes((current) => {
      const at = new Map(current.map((n) => [n.id, n.position]));
      return Object.entries(graph.nodes).map(([id, n]) => ({
        id,
        position: at.get(id) ?? place(id),
        data: {
          label: `${id} · ${n.type}${n.type === 'message' && n.templateRef ? ` · ${n.templateRef}` : ''}${
            counts?.[id]
              ? ` · ${w.t('journeys.nodeCounts', { reached: counts[id].reached, converted: counts[id].converted })}`
              : ''
          }`,
        },
        selected: id === selected,
        ariaLabel: w.t('journeys.node', { id }),
      }));
    });
    setEdges(edgesOf(graph));
  }, [graph, selected, setNodes, setEdges, w, counts]);

  const setNode = (id: string, node: JNode) => setGraph({ ...graph, nodes: { ...graph.nodes, [id]: node } });
  const onConnect = (c: Connection) => {
    const from = graph.nodes[c.source];
    if (!from || !('next' in from)) return;
    setNode(c.source, { ...from, next: c.target });
    setEdges((es) => addEdge(c, es));
  };
  const addNode = () => {
    let k = Object.keys(graph.nodes).length + 1;
    while (graph.nodes[`n${k}`]) k++;
    const id = `n${k}`;
    const exit = Object.entries(graph.nodes).find(([, n]) => n.type === 'exit')?.[0] ?? 'done';
    const node: JNode =
      newType === 'message'
        ? { type: 'message', channel: 'sms', templateRef: '', next: exit }
        : newType === 'delay'
          ? { type: 'delay', seconds: 3600, next: exit }
          : newType === 'waitForEvent'
            ? { type: 'waitForEvent', event: 'Order Completed', timeoutSeconds: 86_400, next: exit, onTimeout: exit }
            : { type: 'exit' };
    const nodesNow = { ...graph.nodes, [id]: node };
    // Put it after the selected node.
    const sel = nodesNow[selected];
    if (sel && 'next' in sel && node.type !== 'exit' && 'next' in node) {
      node.next = sel.next;
      nodesNow[selected] = { ...sel, next: id };
    }
    setGraph({ ...graph, nodes: nodesNow });
    setSelected(id);
  };
  const load = (j: Journey) => {
    setEditing(j);
    setName(j.name);
    setOwner(j.owner);
    setBrandId(j.brandId);
    setGraph(j.graph as unknown as Graph);
    setNodes([]);
  };
  const publish = async () => {
    setNote(undefined);
    try {
      const result = editing
        ? await api<{ journey: Journey }>('POST', `/admin/journeys/${editing.id}/versions`, {
            graph,
            runsMove: false,
            name,
          })
        : await api<{ journey: Journey }>('POST', '/admin/journeys', { name, owner, brandId, graph });
      setEditing(result.journey);
      setNote({
        text: w.t('journeys.published', { id: result.journey.id, version: result.journey.version }),
        kind: 'ok',
      });
      journeys.reload();
    } catch (e) {
      setNote({ text: (e as Error).message, kind: 'error' });
    }
  };
  const steer = async (j: Journey, action: 'pause' | 'resume') => {
    try {
      await api('POST', `/admin/journeys/${j.id}/${action}`);
      journeys.reload();
    } catch (e) {
      setNote({ text: (e as Error).message, kind: 'error' });
    }
  };
  const node = graph.nodes[selected];

  return (
    <>
      <Section title={w.t('journeys.title')}>
        <Status loaded={journeys} />
        <table>
          <tbody>
            {journeys.data?.map((j) => (
              <tr key={j.id}>
                <th scope="row">
                  <button type="button" className="secondary" onClick={() => load(j)}>
                    {j.name}
                  </button>
                </th>
                <td>
                  <code>{j.id}</code>
                </td>
                <td>{j.owner}</td>
                <td data-status={j.status}>
                  {j.status} v{j.version}
                </td>
                <td>
                  <JourneyStats id={j.id} />
                </td>
                <td>
                  {can(user, 'journeys.write') ? (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => steer(j, j.status === 'active' ? 'pause' : 'resume')}
                    >
                      {w.t(j.status === 'active' ? 'journeys.pause' : 'journeys.resume')}{' '}
                      <span className="sr-only">{j.name}</span>
                    </button>
                  ) : null}{' '}
                  <TemporalLink prefix={journeyWorkflowPrefix(j.id)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={w.t('journeys.editor')}>
        <div className="row">
          <Field label={w.t('common.name')}>
            {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field label={w.t('segments.owner')}>
            {(id) => (
              <select id={id} value={owner} disabled={!!editing} onChange={(e) => setOwner(e.target.value)}>
                {user.regions === '*' ? <option value="group">{w.t('segments.group')}</option> : null}
                {(user.regions === '*' ? [] : user.regions).map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={w.t('common.brand')}>
            {(id) => (
              <select id={id} value={brandId} disabled={!!editing} onChange={(e) => setBrandId(e.target.value)}>
                {brands.data?.brands.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={w.t('journeys.entryEvent')}>
            {(id) => (
              <input
                id={id}
                value={graph.entry.event}
                onChange={(e) => setGraph({ ...graph, entry: { type: 'event', event: e.target.value } })}
              />
            )}
          </Field>
        </div>
        <div className="graph">
          <ReactFlow
            nodes={nodes}
            edges={edges}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeClick={(_, n) => setSelected(n.id)}
            fitView
            ariaLabelConfig={{ 'node.a11yDescription.default': w.t('journeys.editor') }}
          >
            <Background />
            <Controls />
          </ReactFlow>
        </div>
        <div className="row">
          <Field label={w.t('journeys.node', { id: '' })}>
            {(id) => (
              <select id={id} data-role="node" value={selected} onChange={(e) => setSelected(e.target.value)}>
                {Object.keys(graph.nodes).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {node?.type === 'message' ? (
            <>
              <Field label={w.t('templates.channel')}>
                {(id) => (
                  <select
                    id={id}
                    value={node.channel}
                    onChange={(e) => setNode(selected, { ...node, channel: e.target.value })}
                  >
                    {CHANNELS.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={w.t('journeys.template')}>
                {(id) => (
                  <select
                    id={id}
                    data-role="template"
                    value={node.templateRef}
                    onChange={(e) => setNode(selected, { ...node, templateRef: e.target.value })}
                  >
                    <option value="">—</option>
                    {templates.data?.templates.map((t) => (
                      <option key={t.id} value={t.id}>
                        {t.name} ({t.channel})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </>
          ) : null}
          {node?.type === 'delay' ? (
            <Field label={w.t('journeys.seconds')}>
              {(id) => (
                <input
                  id={id}
                  type="number"
                  min={1}
                  value={node.seconds}
                  onChange={(e) => setNode(selected, { ...node, seconds: Number(e.target.value) })}
                />
              )}
            </Field>
          ) : null}
          {node?.type === 'waitForEvent' ? (
            <Field label={w.t('journeys.entryEvent')}>
              {(id) => (
                <input
                  id={id}
                  value={node.event}
                  onChange={(e) => setNode(selected, { ...node, event: e.target.value })}
                />
              )}
            </Field>
          ) : null}
          <Field label={w.t('journeys.nodeType')}>
            {(id) => (
              <select id={id} value={newType} onChange={(e) => setNewType(e.target.value as NodeType)}>
                {(['message', 'delay', 'waitForEvent', 'exit'] as const).map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="button" className="secondary" onClick={addNode}>
            {w.t('journeys.addNode')}
          </button>
          {can(user, 'journeys.write') ? (
            <button type="button" onClick={publish} disabled={!name || !brandId}>
              {w.t('journeys.publish')}
            </button>
          ) : null}
        </div>
        <Message text={note?.text} kind={note?.kind} />
        {editing ? <NodeTable graph={graph} counts={counts ?? {}} /> : null}
        <details>
          <summary>{w.t('segments.definition')}</summary>
          <pre>{JSON.stringify(graph, null, 2)}</pre>
        </details>
      </Section>
    </>
  );
}

interface NodeCounts {
  reached: number;
  converted: number;
  outcomes: Record<string, number>;
}

/** Per node of the journey being edited: runs that reached it, how many of them converted, its outcomes. */
function NodeTable({ graph, counts }: { graph: Graph; counts: Record<string, NodeCounts> }) {
  const w = useWords();
  return (
    <DataTable
      data-node-counts
      caption={w.t('journeys.perNode')}
      rows={Object.entries(graph.nodes).map(([id, node]) => ({ id, type: node.type, c: counts[id] }))}
      rowKey={(n) => n.id}
      columns={[
        { header: w.t('journeys.node', { id: '' }), rowHeader: true, cell: (n) => `${n.id} · ${n.type}` },
        { header: w.t('journeys.reached'), numeric: true, cell: (n) => (n.c ? w.number(n.c.reached) : '–') },
        { header: w.t('journeys.converted'), numeric: true, cell: (n) => (n.c ? w.number(n.c.converted) : '–') },
        {
          header: w.t('journeys.conversion'),
          numeric: true,
          cell: (n) => (n.c && n.c.reached > 0 ? w.percent(n.c.converted / n.c.reached) : '–'),
        },
        {
          header: w.t('journeys.outcomes'),
          cell: (n) =>
            Object.entries(n.c?.outcomes ?? {})
              .map(([outcome, count]) => `${outcome} ${w.number(count)}`)
              .join(' · '),
        },
      ]}
    />
  );
}

function JourneyStats({ id }: { id: string }) {
  const w = useWords();
  const stats = useLoad(
    () =>
      api<{ total: { entered: number; active: number; converted: number } }>('GET', `/admin/journeys/${id}/stats`).then(
        (r) => r.total,
      ),
    [id],
  );
  return stats.data ? <span className="muted">{w.t('journeys.stats', { ...stats.data })}</span> : null;
}

const liquid = new Liquid();
const SAMPLE = { traits: { first_name: 'Aiko', name: 'Aiko Tanaka' }, brand: { name: 'Meridian' } };

function Templates({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const brands = useLoad(() => api<{ brands: { id: string; name: string }[] }>('GET', '/admin/brands'), []);
  const [id, setId] = useState('');
  const [channel, setChannel] = useState<string>('sms');
  const [locale, setLocale] = useState<string>(w.locale);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [variants, setVariants] = useState<Record<string, { subject?: string; body: string }>>({});
  const [rendered, setRendered] = useState('');
  const [note, setNote] = useState<{ text: string; kind: 'ok' | 'error' }>();
  const brandId = brands.data?.brands[0]?.id ?? '';

  useEffect(() => {
    let live = true;
    liquid.parseAndRender(body, SAMPLE).then(
      (text: string) => live && setRendered(text),
      (e: unknown) => live && setRendered(`⚠ ${(e as Error).message}`),
    );
    return () => {
      live = false;
    };
  }, [body]);
  const sms = useMemo(() => countSmsSegments(rendered), [rendered]);
  const dir = textDirection(locale);
  // Every locale written so far (a locale left empty, or a half-typed tag, is not a variant).
  const all = Object.fromEntries(
    Object.entries({ ...variants, [locale]: { subject, body } })
      .filter(([tag, v]) => v.body.trim() !== '' && tag.length >= 2)
      .map(([tag, v]) => [tag, channel === 'email' ? { subject: v.subject, body: v.body } : { body: v.body }]),
  );

  return (
    <Section title={w.t('templates.title')}>
      <div className="row">
        <Field label={w.t('templates.id')}>
          {(fid) => <input id={fid} value={id} onChange={(e) => setId(e.target.value)} />}
        </Field>
        <Field label={w.t('templates.channel')}>
          {(fid) => (
            <select id={fid} value={channel} onChange={(e) => setChannel(e.target.value)}>
              {CHANNELS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={w.t('templates.locale')}>
          {(fid) => (
            <input
              id={fid}
              value={locale}
              onChange={(e) => {
                setVariants({ ...variants, [locale]: { subject, body } });
                const next = variants[e.target.value];
                setLocale(e.target.value);
                setBody(next?.body ?? '');
                setSubject(next?.subject ?? '');
              }}
            />
          )}
        </Field>
        {channel === 'email' ? (
          <Field label={w.t('templates.subject')}>
            {(fid) => <input id={fid} value={subject} onChange={(e) => setSubject(e.target.value)} />}
          </Field>
        ) : null}
      </div>
      <div className="grid">
        <Field label={w.t('templates.body')}>
          {(fid) => (
            <textarea id={fid} dir={dir} lang={locale} value={body} onChange={(e) => setBody(e.target.value)} />
          )}
        </Field>
        <div>
          <h3>{w.t('templates.preview')}</h3>
          {channel === 'email' ? (
            <iframe
              className="preview"
              title={w.t('templates.preview')}
              sandbox=""
              srcDoc={`<!doctype html><html lang="${locale}" dir="${dir}"><body>${rendered}</body></html>`}
            />
          ) : (
            <div className="preview" dir={dir} lang={locale} data-preview>
              {rendered}
            </div>
          )}
          {channel === 'sms' ? (
            <p data-sms-segments={sms.segments}>
              {w.t('templates.sms', { segments: sms.segments, encoding: sms.encoding, units: sms.units })}
            </p>
          ) : null}
        </div>
      </div>
      {can(user, 'templates.write') ? (
        <button
          type="button"
          disabled={!id || !body}
          onClick={async () => {
            try {
              const r = await api<{ template: { id: string; version: number } }>('POST', '/admin/templates', {
                id,
                brandId,
                name: id,
                channel,
                defaultLocale: locale,
                variants: all,
              });
              setNote({ text: w.t('templates.saved', { id: r.template.id, version: r.template.version }), kind: 'ok' });
            } catch (e) {
              setNote({ text: (e as Error).message, kind: 'error' });
            }
          }}
        >
          {w.t('templates.save')}
        </button>
      ) : null}{' '}
      {can(user, 'templates.write') && channel === 'email' ? (
        <button
          type="button"
          className="secondary"
          disabled={!id}
          onClick={async () => {
            try {
              // The saved template, to the signed-in user's own address (audited by the server).
              const r = await api<{ to: string; ref: string }>('POST', `/admin/templates/${id}/test-send`, { locale });
              setNote({ text: w.t('templates.testSent', { ref: r.ref, email: r.to }), kind: 'ok' });
            } catch (e) {
              setNote({ text: (e as Error).message, kind: 'error' });
            }
          }}
        >
          {w.t('templates.testSend')}
        </button>
      ) : null}
      <Message text={note?.text} kind={note?.kind} />
    </Section>
  );
}

const ZONES: Record<string, string[]> = {
  apac: ['Asia/Tokyo', 'Asia/Singapore', 'Asia/Bangkok', 'Australia/Sydney'],
  eu: ['Europe/Lisbon', 'Europe/Berlin', 'Europe/Athens'],
  us: ['America/New_York', 'America/Chicago', 'America/Los_Angeles'],
};

interface Broadcast {
  id: string;
  name: string;
  region: string;
  status: string;
  localTime: string;
  localDate?: string;
  startedAt: string | null;
}

function Broadcasts({ user }: { user: ConsoleUser }) {
  const w = useWords();
  const broadcasts = useLoad(() => api<{ broadcasts: Broadcast[] }>('GET', '/admin/broadcasts'), []);
  const today = new Date().toISOString().slice(0, 10);
  const [date, setDate] = useState(today);
  const [time, setTime] = useState('10:00');
  const regions = user.regions === '*' ? Object.keys(ZONES) : user.regions;
  const zones = regions.flatMap((r) => ZONES[r] ?? []);
  const [previewOf, setPreviewOf] = useState<string>();
  return (
    <Section title={w.t('broadcasts.title')}>
      <Status loaded={broadcasts} />
      <table>
        <tbody>
          {broadcasts.data?.broadcasts.map((b) => (
            <tr key={b.id}>
              <th scope="row">{b.name}</th>
              <td>{b.region}</td>
              <td>
                {b.localDate ?? ''} {b.localTime}
              </td>
              <td>{b.status}</td>
              <td>
                <Time value={b.startedAt} />
              </td>
              <td>
                <button type="button" className="secondary" onClick={() => setPreviewOf(b.id)}>
                  {w.t('broadcasts.preview')} <span className="sr-only">{b.name}</span>
                </button>{' '}
                <TemporalLink workflowId={`broadcast-${b.id}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {previewOf ? <BroadcastPreview id={previewOf} /> : null}
      <div className="row">
        <Field label={w.t('common.from')}>
          {(id) => <input id={id} type="date" value={date} onChange={(e) => setDate(e.target.value)} />}
        </Field>
        <Field label={w.t('broadcasts.sendAt')}>
          {(id) => <input id={id} type="time" value={time} onChange={(e) => setTime(e.target.value)} />}
        </Field>
      </div>
      <h3>{w.t('broadcasts.instants')}</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">{w.t('broadcasts.zone')}</th>
            <th scope="col">{w.t('broadcasts.instant')}</th>
          </tr>
        </thead>
        <tbody>
          {zones.map((zone) => {
            const at = instantAt(date, time, zone);
            return (
              <tr key={zone}>
                <th scope="row">{zone}</th>
                <td>
                  {at.ok ? (
                    <>
                      <code>{at.instant.toISOString().slice(0, 16).replace('T', ' ')} UTC</code> ·{' '}
                      <Time value={at.instant} />
                    </>
                  ) : (
                    at.reason
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}

interface PreviewGroup {
  zone: string;
  at: string | null;
  skipped?: 'time-passed' | 'no-such-time';
  count: number;
}

/** How many of the segment's members get the broadcast at which UTC instant, by their time zone. */
function BroadcastPreview({ id }: { id: string }) {
  const w = useWords();
  const preview = useLoad(
    () => api<{ startAt: string; total: number; groups: PreviewGroup[] }>('GET', `/admin/broadcasts/${id}/preview`),
    [id],
  );
  return (
    <div data-broadcast-preview={id}>
      <h3>{w.t('broadcasts.previewTitle', { count: preview.data?.total ?? 0 })}</h3>
      <Status loaded={preview} />
      <DataTable
        rows={preview.data?.groups}
        rowKey={(g) => g.zone}
        columns={[
          { header: w.t('broadcasts.zone'), rowHeader: true, cell: (g) => g.zone },
          {
            header: w.t('broadcasts.instant'),
            cell: (g) =>
              g.at ? (
                <>
                  <code>{g.at.slice(0, 16).replace('T', ' ')} UTC</code> · <Time value={g.at} />
                </>
              ) : (
                w.t(g.skipped === 'no-such-time' ? 'broadcasts.skipped.noSuchTime' : 'broadcasts.skipped.timePassed')
              ),
          },
          { header: w.t('broadcasts.people'), numeric: true, cell: (g) => w.number(g.count) },
        ]}
      />
    </div>
  );
}
