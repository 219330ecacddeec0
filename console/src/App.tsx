import { type FormEvent, lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from 'react';
import { LOCALE_NAMES, SUPPORTED_LOCALES } from '../../domain/messages/i18n';
import { type Capability, type ConsoleUser, getSession, savePreferences, signIn, signOut } from './api';
import { applyDocumentLocale, useWords, wordsFor, WordsProvider } from './i18n';
import { BASE, navigate, usePath } from './router';
import { can, Message, NotAllowed } from './ui';
import type { ConsoleMessageKey } from '../../domain/console-messages';

// Each screen is its own chunk: charts (ECharts) and the graph editor (@xyflow/react) load only where used.
const Insights = lazy(() => import('./screens/Insights'));
const Market = lazy(() => import('./screens/Market'));
const Profiles = lazy(() => import('./screens/Profiles'));
const Segments = lazy(() => import('./screens/Segments'));
const Journeys = lazy(() => import('./screens/Journeys'));
const Privacy = lazy(() => import('./screens/Privacy'));
const Connectors = lazy(() => import('./screens/Connectors'));

interface Screen {
  path: string;
  label: ConsoleMessageKey;
  capability: Capability;
  render(user: ConsoleUser, rest: string): ReactNode;
}

const SCREENS: Screen[] = [
  { path: '/insights', label: 'nav.insights', capability: 'insights.read', render: (u) => <Insights user={u} /> },
  {
    path: '/market',
    label: 'nav.market',
    capability: 'insights.read',
    render: (u, rest) => <Market user={u} market={rest || undefined} />,
  },
  { path: '/profiles', label: 'nav.profiles', capability: 'profiles.read', render: (u) => <Profiles user={u} /> },
  { path: '/segments', label: 'nav.segments', capability: 'segments.read', render: (u) => <Segments user={u} /> },
  { path: '/journeys', label: 'nav.journeys', capability: 'journeys.read', render: (u) => <Journeys user={u} /> },
  { path: '/privacy', label: 'nav.privacy', capability: 'privacy.read', render: (u) => <Privacy user={u} /> },
  {
    path: '/connectors',
    label: 'nav.connectors',
    capability: 'connectors.read',
    render: (u) => <Connectors user={u} />,
  },
];

export function App() {
  const [user, setUser] = useState<ConsoleUser | null | undefined>(undefined);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    getSession().then(
      (session) => setUser(session?.user ?? null),
      (error: unknown) => {
        setFailure((error as Error).message);
        setUser(null);
      },
    );
  }, []);
  const words = useMemo(() => wordsFor(user?.locale, user?.timeZone), [user?.locale, user?.timeZone]);
  useEffect(() => {
    applyDocumentLocale(words.locale);
    document.title = words.t('app.title');
  }, [words]);

  return (
    <WordsProvider words={words}>
      {user === undefined ? null : user === null ? (
        <SignIn onSignedIn={setUser} failure={failure} />
      ) : (
        <Shell user={user} onUser={setUser} />
      )}
    </WordsProvider>
  );
}

function SignIn({ onSignedIn, failure }: { onSignedIn(user: ConsoleUser): void; failure: string | undefined }) {
  const w = useWords();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(failure);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      onSignedIn(await signIn(email, password));
    } catch {
      setError(w.t('session.failed'));
    }
  };
  return (
    <main id="main" className="signin">
      <h1>{w.t('app.title')}</h1>
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h2 id="signin-title">{w.t('session.title')}</h2>
        <label htmlFor="email">{w.t('session.email')}</label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">{w.t('session.password')}</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit">{w.t('session.submit')}</button>
        <Message text={error} kind="error" />
      </form>
      <p>
        <a href="/console/api/oidc/start">{w.t('session.oidc')}</a>
      </p>
    </main>
  );
}

function Shell({ user, onUser }: { user: ConsoleUser; onUser(user: ConsoleUser | null): void }) {
  const w = useWords();
  const path = usePath();
  const allowed = SCREENS.filter((s) => can(user, s.capability));
  const screen = SCREENS.find((s) => path === s.path || path.startsWith(`${s.path}/`));
  useEffect(() => {
    if (!screen && allowed[0]) navigate(allowed[0].path);
  }, [screen, allowed]);
  const rest = screen ? decodeURIComponent(path.slice(screen.path.length + 1)) : '';

  return (
    <>
      <a href="#main" className="skip">
        {w.t('app.skip')}
      </a>
      <header className="top">
        <span className="brand">{w.t('app.title')}</span>
        <nav aria-label={w.t('app.nav')}>
          <ul>
            {allowed.map((s) => (
              <li key={s.path}>
                <a
                  href={`${BASE}${s.path}`}
                  aria-current={screen === s ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(s.path);
                  }}
                >
                  {w.t(s.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>{w.t('session.user', { name: user.displayName, role: user.role })}</span>
          <label htmlFor="language">{w.t('session.language')}</label>
          <select
            id="language"
            value={w.locale}
            onChange={async (e) => onUser(await savePreferences({ locale: e.target.value }))}
          >
            {SUPPORTED_LOCALES.map((l) => (
              <option key={l} value={l} lang={l}>
                {LOCALE_NAMES[l]}
              </option>
            ))}
          </select>
          <button
            type="button"
            onClick={async () => {
              await signOut();
              onUser(null);
            }}
          >
            {w.t('session.signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">{w.t('common.loading')}</p>}>
          {screen ? can(user, screen.capability) ? screen.render(user, rest) : <NotAllowed /> : null}
        </Suspense>
      </main>
    </>
  );
}
