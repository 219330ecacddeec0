import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { type Capability, type ConsoleUser } from './api';
import { useWords } from './i18n';

/** Small shared pieces of the screens: loading state, error line, a labelled field, a link to the Temporal UI. */

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when its inputs (`deps`) change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // The inputs, not the function, decide when to load again: `useCallback(load, deps)` handed back
  // the same function for a module-level loader (useLoad(listSegments, [saved])), so a change of
  // `saved` never re-ran the effect and a saved segment stayed off the list.
  const latest = useRef(load);
  latest.current = load;
  // biome-ignore lint: the caller names the inputs
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    latest.current().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: (error as Error).message, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setTick((n) => n + 1) };
}

export function Status({ loaded }: { loaded: Pick<Loaded<unknown>, 'error' | 'loading'> }) {
  const w = useWords();
  if (loaded.error)
    return (
      <p role="alert" className="error">
        {w.t('common.error', { message: loaded.error })}
      </p>
    );
  if (loaded.loading)
    return (
      <p aria-live="polite" className="muted">
        {w.t('common.loading')}
      </p>
    );
  return null;
}

export function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="card">
      <header className="card-head">
        <h2 id={id}>{title}</h2>
        {actions ? <div className="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

const temporalUi = () =>
  document.querySelector<HTMLMetaElement>('meta[name="meridian-temporal-ui"]')?.content.replace(/\/$/, '') ?? '';

/**
 * A link to the Temporal UI (MERIDIAN_TEMPORAL_UI_URL, or the dev server's UI) listing the
 * workflow, or every workflow whose ID starts with `prefix` (a journey runs one per person).
 */
export function TemporalLink({ workflowId, prefix }: { workflowId?: string; prefix?: string }) {
  const w = useWords();
  const base = temporalUi();
  if (!base || !(workflowId || prefix)) return null;
  const query = workflowId ? `WorkflowId = "${workflowId}"` : `WorkflowId STARTS_WITH "${prefix}"`;
  return (
    <a
      href={`${base}/workflows?query=${encodeURIComponent(query)}`}
      target="_blank"
      rel="noreferrer"
      className="temporal"
    >
      {w.t('common.temporal')} <span className="sr-only">{workflowId ?? prefix}</span>
    </a>
  );
}

export const can = (user: ConsoleUser, capability: Capability) => user.capabilities.includes(capability);

export function NotAllowed() {
  const w = useWords();
  return <p className="notice">{w.t('common.notAllowed')}</p>;
}

export function Message({ text, kind = 'ok' }: { text: string | undefined; kind?: 'ok' | 'error' }) {
  if (!text) return null;
  return (
    <p role={kind === 'error' ? 'alert' : 'status'} className={kind === 'error' ? 'error' : 'ok'}>
      {text}
    </p>
  );
}

/** One column of a DataTable: its header, what each row shows in it. */
export interface Column<T> {
  /** The column's header; empty for a column of actions. */
  header: ReactNode;
  cell(row: T): ReactNode;
  /** This column names the row: its cells are row headers (th scope=row), as screen readers expect. */
  rowHeader?: boolean;
  /** Figures: right-aligned. */
  numeric?: boolean;
}

/**
 * The screens' table: a header row of column headers, a row per item with the naming column as its
 * row header, numbers aligned; extra `data-*` attributes go on the table (the browser tests find
 * tables by them).
 */
export function DataTable<T>({
  rows,
  columns,
  rowKey,
  caption,
  ...attributes
}: {
  rows: readonly T[] | undefined;
  columns: readonly Column<T>[];
  rowKey(row: T): string;
  caption?: string;
} & { [data: `data-${string}`]: string | boolean | undefined }) {
  return (
    <table {...attributes}>
      {caption ? <caption>{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((c, i) => (
            <th key={i} scope="col" className={c.numeric ? 'num' : undefined}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows?.map((row) => (
          <tr key={rowKey(row)}>
            {columns.map((c, i) =>
              c.rowHeader ? (
                <th key={i} scope="row">
                  {c.cell(row)}
                </th>
              ) : (
                <td key={i} className={c.numeric ? 'num' : undefined}>
                  {c.cell(row)}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
