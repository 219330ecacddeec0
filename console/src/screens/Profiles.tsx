import { type FormEvent, useState } from 'react';
import { api, ApiError, type ConsoleUser } from '../api';
import { Time, useWords } from '../i18n';
import { Field, Message, Section, TemporalLink } from '../ui';

/**
 * Screen 3, profiles: find a person by an identifier (POST /admin/profiles/lookup, so the value is
 * never in a URL), then the unified profile: each region's part, traits, identifiers, recent
 * events and messages, computed traits, consent with its history and propagations. Personal values
 * appear only when the API returns them (the server decides by the user's scope and audits the view).
 */

interface RegionalPart {
  region: string;
  customerId: string;
  personalData: 'shown' | 'withheld' | 'shredded';
  createdAt?: string;
  lastSeenAt?: string;
  identities?: { type: string; value: string; provenance: string; firstSeenAt: string }[];
  traits?: Record<string, { value: unknown; observedAt: string }>;
  recentEvents?: { id: string; type: string; event: string | null; timestamp: string }[];
  counts: { identities: number; events: number };
}
interface Profile {
  customerId: string;
  mergedInto: string | null;
  regions: RegionalPart[];
}
interface Consent {
  region: string;
  subject: { country: string; jurisdiction: string };
  effective: Record<string, { state: string; source?: string; recordedAt?: string } | string>;
  history: { purpose: string; state: string; source: string; recordedAt: string }[];
  propagations: { id: string; status: string; systems: { system: string; status: string }[] }[];
}

const TYPES = ['email', 'phone', 'user_id', 'anonymous_id', 'shopify_customer'];

export default function Profiles(_: { user: ConsoleUser }) {
  const w = useWords();
  const [type, setType] = useState('email');
  const [value, setValue] = useState('');
  const [profile, setProfile] = useState<Profile>();
  const [consent, setConsent] = useState<Consent>();
  const [computed, setComputed] = useState<{ regions: { region: string; values: Record<string, unknown> }[] }>();
  const [error, setError] = useState<string>();

  const search = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setProfile(undefined);
    setConsent(undefined);
    setComputed(undefined);
    try {
      const found = await api<Profile>('POST', '/admin/profiles/lookup', { type, value });
      setProfile(found);
      const id = found.customerId;
      const [c, t] = await Promise.allSettled([
        api<Consent>('GET', `/admin/profiles/${id}/consent`),
        api<{ regions: { region: string; values: Record<string, unknown> }[] }>(
          'GET',
          `/admin/profiles/${id}/computed-traits`,
        ),
      ]);
      if (c.status === 'fulfilled') setConsent(c.value);
      if (t.status === 'fulfilled') setComputed(t.value);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 404 ? w.t('profiles.notFound') : (e as Error).message);
    }
  };

  return (
    <>
      <h1>{w.t('profiles.title')}</h1>
      <form className="filters" onSubmit={search}>
        <Field label={w.t('profiles.type')}>
          {(id) => (
            <select id={id} value={type} onChange={(e) => setType(e.target.value)}>
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={w.t('profiles.value')}>
          {(id) => (
            <input id={id} value={value} autoComplete="off" required onChange={(e) => setValue(e.target.value)} />
          )}
        </Field>
        <button type="submit">{w.t('profiles.search')}</button>
      </form>
      <Message text={error} kind="error" />
      {profile ? (
        <>
          <p>
            <code data-customer-id={profile.customerId}>{profile.customerId}</code>
          </p>
          {profile.regions.map((part) => (
            <Section key={part.region} title={w.t('profiles.regionPart', { region: part.region })}>
              <p className="muted">
                <Time value={part.createdAt} /> – <Time value={part.lastSeenAt} /> · {w.number(part.counts.identities)}{' '}
                / {w.number(part.counts.events)}
              </p>
              {part.personalData !== 'shown' ? <p className="notice">{w.t('profiles.withheld')}</p> : null}
              {part.identities ? (
                <>
                  <h3>{w.t('profiles.identities')}</h3>
                  <table>
                    <tbody>
                      {part.identities.map((i) => (
                        <tr key={`${i.type}:${i.value}`}>
                          <th scope="row">{i.type}</th>
                          <td className="personal">{i.value}</td>
                          <td>{i.provenance}</td>
                          <td>
                            <Time value={i.firstSeenAt} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              ) : null}
              {part.traits ? (
                <>
                  <h3>{w.t('profiles.traits')}</h3>
                  <table>
                    <tbody>
                      {Object.entries(part.traits).map(([k, t]) => (
                        <tr key={k}>
                          <th scope="row">{k}</th>
                          <td>{JSON.stringify(t.value)}</td>
                          <td>
                            <Time value={t.observedAt} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              ) : null}
              {part.recentEvents ? (
                <>
                  <h3>{w.t('profiles.events')}</h3>
                  <ul>
                    {part.recentEvents.map((e) => (
                      <li key={e.id}>
                        <Time value={e.timestamp} /> {e.type} {e.event ?? ''}
                      </li>
                    ))}
                  </ul>
                </>
              ) : null}
            </Section>
          ))}
          {computed ? (
            <Section title={w.t('profiles.computed')}>
              {computed.regions.map((r) => (
                <dl key={r.region}>
                  {Object.entries(r.values).map(([k, v]) => (
                    <div key={k}>
                      <dt>{k}</dt>
                      <dd>{JSON.stringify(v)}</dd>
                    </div>
                  ))}
                </dl>
              ))}
            </Section>
          ) : null}
          {consent ? (
            <Section title={w.t('profiles.consent')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{w.t('profiles.purpose')}</th>
                    <th scope="col">{w.t('common.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(consent.effective).map(([purpose, e]) => (
                    <tr key={purpose}>
                      <th scope="row">{purpose}</th>
                      <td>{typeof e === 'string' ? e : e.state}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3>{w.t('profiles.history')}</h3>
              <ul>
                {consent.history.map((h, i) => (
                  <li key={i}>
                    <Time value={h.recordedAt} /> {h.purpose}: {h.state} ({h.source})
                  </li>
                ))}
              </ul>
              <h3>{w.t('privacy.propagation')}</h3>
              <ul>
                {consent.propagations.map((p) => (
                  <li key={p.id}>
                    <code>{p.id}</code> {p.status}: {p.systems.map((s) => `${s.system} ${s.status}`).join(', ')}{' '}
                    <TemporalLink workflowId={`consent-${p.id}`} />
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
        </>
      ) : null}
    </>
  );
}
