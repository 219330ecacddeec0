import { type ConsentDecision, type Purpose } from '../../domain/consent';
import { ALL_COUNTRIES } from '../../domain/countries';
import {
  formatDate,
  formatDateTime,
  LOCALE_NAMES,
  type Locale,
  type MessageKey,
  type MessageValues,
  purposeKey,
  REQUEST_TYPES,
  requestStatusKey,
  type PublicRequestStatus,
  type RequestType,
  requestTypeKey,
  SUPPORTED_LOCALES,
  type PublicSystemStatus,
  systemStatusKey,
  t,
  textDirection,
} from '../../domain/privacy-messages';
import { publicSystemStatus, type SystemStatus } from '../../domain/privacy-statuses';
import { escapeHtml, isolate, messageAsHtml as message } from '../../mail/html';

/**
 * The privacy portal's pages: pure functions from a locale and a view to a complete HTML document.
 * No template engine; every value is escaped here, and opaque values (request IDs, system names)
 * sit in <bdi> so they read correctly inside right-to-left text. Pages carry no scripts and no
 * inline styles, so the routes can serve them under a strict Content-Security-Policy
 * (`default-src 'none'; style-src 'self'; form-action 'self'`), with PORTAL_CSS at PORTAL_CSS_PATH.
 */

export const PORTAL_CSS_PATH = '/privacy/assets/portal.css';

/** Logical properties only (inline/block, start/end), so one stylesheet serves ltr and rtl pages. */
export const PORTAL_CSS = `:root {
  color-scheme: light;
  --ink: #1b1f24;
  --muted: #57606a;
  --line: #d0d7de;
  --accent: #0b5cad;
  --danger: #b42318;
  --ok: #1a7f37;
  --surface: #f6f8fa;
}
*, *::before, *::after { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans JP", "Noto Sans KR", "Noto Sans SC", "Noto Sans TC", "Noto Sans Thai", "Noto Sans Arabic", sans-serif; line-height: 1.6; color: var(--ink); }
body { margin: 0; }
.portal-header, main { max-inline-size: 42rem; margin-inline: auto; padding-inline: 1rem; }
.portal-header { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: baseline; justify-content: space-between; padding-block: 1rem; border-block-end: 1px solid var(--line); }
.portal-name { font-weight: 600; margin: 0; }
.languages ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; }
.languages a { color: var(--accent); }
.languages a[aria-current="true"] { color: var(--ink); font-weight: 600; text-decoration: none; }
main { padding-block: 1.5rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin-block: 0 1rem; }
h2 { font-size: 1.25rem; margin-block: 2rem 0.75rem; }
p, ul, dl, table { margin-block: 0 1rem; }
.hint { color: var(--muted); font-size: 0.9375rem; margin-block: 0.125rem 0.5rem; }
.field { margin-block-end: 1.25rem; }
label, legend { font-weight: 600; }
fieldset { border: 1px solid var(--line); border-radius: 0.5rem; padding-block: 0.75rem; padding-inline: 1rem; margin-block: 0 1.25rem; margin-inline: 0; }
legend { padding-inline: 0.25rem; }
.choice { display: grid; grid-template-columns: auto 1fr; column-gap: 0.5rem; margin-block-end: 0.75rem; }
.choice input { margin-block-start: 0.35rem; }
.choice .hint { grid-column: 2; }
input[type="email"], input[type="text"], select, textarea { display: block; inline-size: 100%; font: inherit; padding-block: 0.5rem; padding-inline: 0.75rem; border: 1px solid var(--muted); border-radius: 0.375rem; text-align: start; }
input.code { inline-size: 10ch; letter-spacing: 0.2em; font-variant-numeric: tabular-nums; }
textarea { min-block-size: 6rem; }
[aria-invalid="true"] { border-color: var(--danger); border-width: 2px; }
.field-error { color: var(--danger); font-weight: 600; margin-block: 0.25rem; }
button { font: inherit; font-weight: 600; padding-block: 0.6rem; padding-inline: 1.25rem; border: 0; border-radius: 0.375rem; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: var(--danger); border: 2px solid var(--danger); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error-summary { border: 2px solid var(--danger); border-radius: 0.5rem; padding-block: 0.75rem; padding-inline: 1rem; margin-block-end: 1.5rem; }
.error-summary h2 { margin-block-start: 0; color: var(--danger); }
.status-current { font-size: 1.125rem; font-weight: 600; padding-block: 0.75rem; padding-inline: 1rem; border-inline-start: 4px solid var(--accent); background: var(--surface); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
table { border-collapse: collapse; inline-size: 100%; }
caption { text-align: start; font-weight: 600; margin-block-end: 0.5rem; }
th, td { text-align: start; padding-block: 0.5rem; padding-inline: 0.5rem; border-block-end: 1px solid var(--line); }
thead th { color: var(--muted); font-weight: 600; }
.system-status--done, .system-status--nothing-held { color: var(--ok); }
.system-status--failed { color: var(--danger); }
.purpose .choices { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; }
.purpose .basis { color: var(--muted); font-size: 0.875rem; }
.reference { color: var(--muted); }
`;

const attr = (name: string, value: string | undefined | false) =>
  value === undefined || value === false ? '' : ` ${name}="${escapeHtml(value)}"`;

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------

interface PageFrame {
  /**
   * Path (with query) of the page being shown, so the language switcher keeps it and only changes
   * `lang`; without it the switcher links are `?lang=xx` relative to the current address.
   */
  selfPath?: string;
}

function languageHref(selfPath: string | undefined, locale: Locale): string {
  if (!selfPath) return `?lang=${encodeURIComponent(locale)}`;
  const url = new URL(selfPath, 'http://portal.invalid');
  url.searchParams.set('lang', locale);
  return `${url.pathname}${url.search}`;
}

function languageSwitcher(locale: Locale, selfPath: string | undefined): string {
  const items = SUPPORTED_LOCALES.map((l) => {
    const current = l === locale ? ' aria-current="true"' : '';
    return `<li><a href="${escapeHtml(languageHref(selfPath, l))}" hreflang="${l}" lang="${l}" dir="${textDirection(l)}"${current}>${escapeHtml(LOCALE_NAMES[l])}</a></li>`;
  });
  return `<nav class="languages" aria-label="${escapeHtml(t(locale, 'portal.language'))}"><ul>${items.join('')}</ul></nav>`;
}

function page(locale: Locale, title: string, main: string, frame: PageFrame): string {
  const portal = t(locale, 'portal.name');
  return [
    '<!doctype html>',
    `<html lang="${locale}" dir="${textDirection(locale)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Status and verification addresses are capabilities: never leak them to other sites, never index them.
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${escapeHtml(title)} – ${escapeHtml(portal)}</title>`,
    `<link rel="stylesheet" href="${PORTAL_CSS_PATH}">`,
    '</head>',
    '<body>',
    `<header class="portal-header"><p class="portal-name">${escapeHtml(portal)}</p>${languageSwitcher(locale, frame.selfPath)}</header>`,
    `<main id="main">${main}</main>`,
    '</body>',
    '</html>',
  ].join('\n');
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

// ---------------------------------------------------------------------------------------------
// Request form
// ---------------------------------------------------------------------------------------------

/** US states and DC by USPS code. Proper names, shown as written in English in every locale. */
export const US_STATE_NAMES: Readonly<Record<string, string>> = {
  AL: 'Alabama',
  AK: 'Alaska',
  AZ: 'Arizona',
  AR: 'Arkansas',
  CA: 'California',
  CO: 'Colorado',
  CT: 'Connecticut',
  DE: 'Delaware',
  DC: 'District of Columbia',
  FL: 'Florida',
  GA: 'Georgia',
  HI: 'Hawaii',
  ID: 'Idaho',
  IL: 'Illinois',
  IN: 'Indiana',
  IA: 'Iowa',
  KS: 'Kansas',
  KY: 'Kentucky',
  LA: 'Louisiana',
  ME: 'Maine',
  MD: 'Maryland',
  MA: 'Massachusetts',
  MI: 'Michigan',
  MN: 'Minnesota',
  MS: 'Mississippi',
  MO: 'Missouri',
  MT: 'Montana',
  NE: 'Nebraska',
  NV: 'Nevada',
  NH: 'New Hampshire',
  NJ: 'New Jersey',
  NM: 'New Mexico',
  NY: 'New York',
  NC: 'North Carolina',
  ND: 'North Dakota',
  OH: 'Ohio',
  OK: 'Oklahoma',
  OR: 'Oregon',
  PA: 'Pennsylvania',
  RI: 'Rhode Island',
  SC: 'South Carolina',
  SD: 'South Dakota',
  TN: 'Tennessee',
  TX: 'Texas',
  UT: 'Utah',
  VT: 'Vermont',
  VA: 'Virginia',
  WA: 'Washington',
  WV: 'West Virginia',
  WI: 'Wisconsin',
  WY: 'Wyoming',
};

export interface CountryOption {
  code: string;
  name: string;
}

/** Countries named in `locale` (Intl.DisplayNames), sorted as a reader of that locale expects. */
export function countryOptions(locale: Locale, codes: readonly string[] = ALL_COUNTRIES): CountryOption[] {
  const names = new Intl.DisplayNames([locale], { type: 'region', fallback: 'code' });
  const collator = new Intl.Collator(locale);
  return codes.map((code) => ({ code, name: names.of(code) ?? code })).sort((a, b) => collator.compare(a.name, b.name));
}

export const REQUEST_FORM_ACTION = '/privacy/requests';

export type RequestFormField = 'type' | 'email' | 'country' | 'usState' | 'details';

export interface RequestFormError {
  /** The field to mark invalid and link to; absent for a form-wide problem such as an expired CSRF token. */
  field?: RequestFormField;
  key: MessageKey;
  values?: MessageValues;
}

export interface RequestFormOptions extends PageFrame {
  csrfToken: string;
  countries: CountryOption[];
  error?: RequestFormError | RequestFormError[];
  /** What the person typed, to show again after an error. */
  values?: Partial<Record<RequestFormField, string>>;
}

function fieldId(field: RequestFormField): string {
  return field === 'type' ? `type-${REQUEST_TYPES[0]}` : field;
}

function errorSummary(locale: Locale, errors: RequestFormError[]): string {
  if (errors.length === 0) return '';
  const items = errors.map((e) => {
    const text = message(locale, e.key, e.values);
    return `<li>${e.field ? `<a href="#${fieldId(e.field)}">${text}</a>` : text}</li>`;
  });
  return `<div class="error-summary" role="alert" tabindex="-1"><h2>${escapeHtml(t(locale, 'form.error.title'))}</h2><ul>${items.join('')}</ul></div>`;
}

export function renderRequestForm(locale: Locale, options: RequestFormOptions): string {
  const errors = options.error === undefined ? [] : Array.isArray(options.error) ? options.error : [options.error];
  const values = options.values ?? {};
  const errorFor = (field: RequestFormField) => errors.find((e) => e.field === field);
  const fieldError = (field: RequestFormField) => {
    const e = errorFor(field);
    return e ? `<p id="${field}-error" class="field-error">${message(locale, e.key, e.values)}</p>` : '';
  };
  const describedBy = (field: RequestFormField, help?: string) =>
    attr(
      'aria-describedby',
      [help, errorFor(field) ? `${field}-error` : undefined].filter(Boolean).join(' ') || undefined,
    );
  const invalid = (field: RequestFormField) => (errorFor(field) ? ' aria-invalid="true"' : '');

  const typeChoices = REQUEST_TYPES.map((type) => {
    const id = `type-${type}`;
    const checked = values.type === type ? ' checked' : '';
    return [
      '<div class="choice">',
      `<input type="radio" id="${id}" name="type" value="${type}" required${checked}${invalid('type')} aria-describedby="${id}-help">`,
      `<label for="${id}">${escapeHtml(t(locale, requestTypeKey(type)))}</label>`,
      `<p id="${id}-help" class="hint">${escapeHtml(t(locale, `${requestTypeKey(type)}.help` as MessageKey))}</p>`,
      '</div>',
    ].join('');
  }).join('\n');

  const countrySelect = [
    `<option value="">${escapeHtml(t(locale, 'form.country.choose'))}</option>`,
    ...options.countries.map(
      (c) =>
        `<option value="${escapeHtml(c.code)}"${values.country === c.code ? ' selected' : ''}>${escapeHtml(c.name)}</option>`,
    ),
  ].join('');

  const collator = new Intl.Collator(locale);
  const stateSelect = [
    `<option value="">${escapeHtml(t(locale, 'form.usState.none'))}</option>`,
    ...Object.entries(US_STATE_NAMES)
      .sort(([, a], [, b]) => collator.compare(a, b))
      .map(
        ([code, name]) =>
          `<option value="${code}"${values.usState === code ? ' selected' : ''}>${escapeHtml(name)}</option>`,
      ),
  ].join('');

  const main = [
    `<h1>${escapeHtml(t(locale, 'form.title'))}</h1>`,
    errorSummary(locale, errors),
    `<p>${escapeHtml(t(locale, 'form.intro'))}</p>`,
    `<form method="post" action="${REQUEST_FORM_ACTION}" class="request-form">`,
    hidden('locale', locale),
    hidden('csrf', options.csrfToken),
    `<fieldset${errorFor('type') ? ' aria-describedby="type-error"' : ''}>`,
    `<legend>${escapeHtml(t(locale, 'form.typeLegend'))}</legend>`,
    fieldError('type'),
    typeChoices,
    '</fieldset>',
    '<div class="field">',
    `<label for="email">${escapeHtml(t(locale, 'form.email'))}</label>`,
    `<p id="email-help" class="hint">${escapeHtml(t(locale, 'form.email.help'))}</p>`,
    fieldError('email'),
    // Addresses are written left to right in every script.
    `<input type="email" id="email" name="email" autocomplete="email" required maxlength="254" dir="ltr"${attr('value', values.email ?? '')}${describedBy('email', 'email-help')}${invalid('email')}>`,
    '</div>',
    '<div class="field">',
    `<label for="country">${escapeHtml(t(locale, 'form.country'))}</label>`,
    fieldError('country'),
    `<select id="country" name="country" autocomplete="country" required${describedBy('country')}${invalid('country')}>${countrySelect}</select>`,
    '</div>',
    '<div class="field">',
    `<label for="usState">${escapeHtml(t(locale, 'form.usState'))}</label>`,
    fieldError('usState'),
    `<select id="usState" name="usState" autocomplete="address-level1"${describedBy('usState')}${invalid('usState')}>${stateSelect}</select>`,
    '</div>',
    '<div class="field">',
    `<label for="details">${escapeHtml(t(locale, 'form.details'))}</label>`,
    `<p id="details-help" class="hint">${escapeHtml(t(locale, 'form.details.help'))}</p>`,
    fieldError('details'),
    `<textarea id="details" name="details" rows="4" maxlength="2000" dir="auto"${describedBy('details', 'details-help')}${invalid('details')}>${escapeHtml(values.details ?? '')}</textarea>`,
    '</div>',
    `<button type="submit">${escapeHtml(t(locale, 'form.submit'))}</button>`,
    '</form>',
  ].join('\n');
  return page(locale, t(locale, 'form.title'), main, options);
}

// ---------------------------------------------------------------------------------------------
// Check your email (and enter the code)
// ---------------------------------------------------------------------------------------------

export interface CheckEmailOptions extends PageFrame {
  requestId: string;
  csrfToken: string;
  /** A wrong code, say: { key: 'verify.codeWrong.body', values: { attemptsLeft: 2 } }. */
  error?: { key: MessageKey; values?: MessageValues };
}

export function verifyAction(requestId: string): string {
  return `/privacy/requests/${encodeURIComponent(requestId)}/verify`;
}

/**
 * The page after the form is sent. It says the same thing whether or not we know the address, so it
 * cannot be used to find out who is a customer.
 */
export function renderCheckEmail(locale: Locale, options: CheckEmailOptions): string {
  const error = options.error;
  const main = [
    `<h1>${escapeHtml(t(locale, 'checkEmail.title'))}</h1>`,
    error
      ? `<div class="error-summary" role="alert"><p id="code-error">${message(locale, error.key, error.values)}</p></div>`
      : '',
    `<p>${escapeHtml(t(locale, 'checkEmail.body'))}</p>`,
    `<p class="reference">${message(locale, 'request.reference', { requestId: isolate(options.requestId) })}</p>`,
    `<form method="post" action="${escapeHtml(verifyAction(options.requestId))}">`,
    hidden('csrf', options.csrfToken),
    '<div class="field">',
    `<label for="code">${escapeHtml(t(locale, 'checkEmail.code'))}</label>`,
    `<p id="code-help" class="hint">${escapeHtml(t(locale, 'checkEmail.code.help'))}</p>`,
    `<input type="text" id="code" name="code" class="code" inputmode="numeric" pattern="[0-9]{6}" minlength="6" maxlength="6" autocomplete="one-time-code" required dir="ltr" aria-describedby="code-help${error ? ' code-error' : ''}"${error ? ' aria-invalid="true"' : ''}>`,
    '</div>',
    `<button type="submit">${escapeHtml(t(locale, 'checkEmail.submit'))}</button>`,
    '</form>',
    `<p class="hint">${escapeHtml(t(locale, 'checkEmail.notReceived'))}</p>`,
  ].join('\n');
  return page(locale, t(locale, 'checkEmail.title'), main, options);
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** A public status, or a stored one (e.g. 'not-found'), shown through domain/privacy-statuses.ts. */
export type SystemStatusInput = PublicSystemStatus | SystemStatus;

export interface SystemRow {
  /** The system's display name (e.g. "Shopify", "Klaviyo"); shown as is. */
  label: string;
  status: SystemStatusInput;
}

function normaliseSystemStatus(status: SystemStatusInput): PublicSystemStatus {
  return publicSystemStatus(status);
}

export interface StatusView extends PageFrame {
  requestId: string;
  type: RequestType;
  status: PublicRequestStatus;
  /** ISO 8601 instant the request arrived. */
  receivedAt: string | Date;
  /** YYYY-MM-DD: the last day to answer, in the jurisdiction's local calendar. */
  dueDate: string;
  /** ISO 8601 instant the cooling-off period ends. */
  coolingOffUntil?: string | Date;
  canCancel: boolean;
  /** Where the cancel form POSTs. */
  cancelUrl?: string;
  /** Sent with the cancel form. */
  csrfToken?: string;
  systems: SystemRow[];
  certificateUrl?: string;
  exportUrl?: string;
  /** Further packages (a region holding two profiles with the address, or a second region), numbered from 2. */
  moreExportUrls?: string[];
  exportExpiresAt?: string | Date;
  /** IANA zone for times shown (cooling-off end, link expiry); UTC when absent. */
  timeZone?: string;
}

function systemsTable(locale: Locale, caption: string, systems: SystemRow[]): string {
  const rows = systems.map((s) => {
    const status = normaliseSystemStatus(s.status);
    return `<tr><th scope="row"><bdi>${escapeHtml(s.label)}</bdi></th><td><span class="system-status system-status--${status}">${escapeHtml(t(locale, systemStatusKey(status)))}</span></td></tr>`;
  });
  return [
    '<table class="systems">',
    `<caption>${escapeHtml(caption)}</caption>`,
    `<thead><tr><th scope="col">${escapeHtml(t(locale, 'status.systems.system'))}</th><th scope="col">${escapeHtml(t(locale, 'status.systems.status'))}</th></tr></thead>`,
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
  ].join('');
}

export function renderStatus(locale: Locale, view: StatusView): string {
  const zone = view.timeZone ?? 'UTC';
  const parts: string[] = [
    `<h1>${escapeHtml(t(locale, 'status.title'))}</h1>`,
    `<p class="reference">${message(locale, 'request.reference', { requestId: isolate(view.requestId) })}</p>`,
    '<dl class="facts">',
    `<dt>${escapeHtml(t(locale, 'status.type'))}</dt><dd>${escapeHtml(t(locale, requestTypeKey(view.type)))}</dd>`,
    '</dl>',
    `<p>${message(locale, 'status.receivedOn', { date: formatDate(locale, view.receivedAt, zone) })}</p>`,
    `<p class="deadline">${message(locale, 'status.deadline', { date: formatDate(locale, view.dueDate) })}</p>`,
    `<h2 id="status-heading">${escapeHtml(t(locale, 'status.current'))}</h2>`,
    `<p class="status-current" role="status" aria-live="polite" aria-labelledby="status-heading">${escapeHtml(t(locale, requestStatusKey(view.status)))}</p>`,
  ];

  if (view.status === 'cooling-off' && view.coolingOffUntil) {
    parts.push(
      `<p>${message(locale, 'status.coolingOff.cancelUntil', { date: formatDateTime(locale, view.coolingOffUntil, zone) })}</p>`,
    );
  }
  if (view.canCancel && view.cancelUrl) {
    parts.push(
      `<form method="post" action="${escapeHtml(view.cancelUrl)}" class="cancel">`,
      view.csrfToken !== undefined ? hidden('csrf', view.csrfToken) : '',
      `<button type="submit" class="secondary">${escapeHtml(t(locale, 'status.cancel'))}</button>`,
      '</form>',
    );
  }

  parts.push(
    `<section aria-labelledby="systems-heading"><h2 id="systems-heading">${escapeHtml(t(locale, 'status.systems.title'))}</h2>`,
  );
  parts.push(
    view.systems.length === 0
      ? `<p>${escapeHtml(t(locale, 'status.systems.none'))}</p>`
      : `<div aria-live="polite">${systemsTable(locale, t(locale, 'status.systems.title'), view.systems)}</div>`,
  );
  parts.push('</section>');

  if (view.status === 'completed' && (view.certificateUrl || view.exportUrl)) {
    const statuses = view.systems.map((s) => normaliseSystemStatus(s.status));
    parts.push(
      `<section aria-labelledby="certificate-heading"><h2 id="certificate-heading">${escapeHtml(t(locale, 'status.certificate.title'))}</h2>`,
    );
    if (view.systems.length > 0) {
      parts.push(
        `<p>${message(locale, 'status.certificate.summary', {
          total: statuses.length,
          done: statuses.filter((s) => s === 'done').length,
          nothingHeld: statuses.filter((s) => s === 'nothing-held').length,
        })}</p>`,
      );
    }
    if (view.certificateUrl) {
      parts.push(
        `<p><a href="${escapeHtml(view.certificateUrl)}">${escapeHtml(t(locale, 'status.certificate.link'))}</a></p>`,
      );
    }
    if (view.exportUrl) {
      parts.push(`<p><a href="${escapeHtml(view.exportUrl)}">${escapeHtml(t(locale, 'status.export.link'))}</a></p>`);
      (view.moreExportUrls ?? []).forEach((url, i) =>
        parts.push(`<p><a href="${escapeHtml(url)}">${escapeHtml(t(locale, 'status.export.link'))} (${i + 2})</a></p>`),
      );
      if (view.exportExpiresAt) {
        parts.push(
          `<p class="hint">${message(locale, 'status.export.expires', { date: formatDateTime(locale, view.exportExpiresAt, zone) })}</p>`,
        );
      }
    }
    parts.push('</section>');
  }
  return page(locale, t(locale, 'status.title'), parts.join('\n'), view);
}

// ---------------------------------------------------------------------------------------------
// Preference centre
// ---------------------------------------------------------------------------------------------

export interface PurposeRow {
  purpose: Purpose;
  state: ConsentDecision;
  /** 'explicit' when the person chose, 'default' when their jurisdiction's default applies (domain/consent EffectiveConsent). */
  basis: 'explicit' | 'default';
}

export interface PreferenceCentreView extends PageFrame {
  purposes: PurposeRow[];
  propagation?: { systems: SystemRow[] };
  /** Where the form POSTs: one field per purpose, named after it, valued 'granted' or 'denied', plus csrf and locale. */
  formAction: string;
  csrfToken: string;
}

export function renderPreferenceCentre(locale: Locale, view: PreferenceCentreView): string {
  const decisions: ConsentDecision[] = ['granted', 'denied'];
  const fieldsets = view.purposes.map(({ purpose, state, basis }) => {
    const choices = decisions.map((decision) => {
      const id = `${purpose}-${decision}`;
      const checked = state === decision ? ' checked' : '';
      return `<span class="choice-inline"><input type="radio" id="${id}" name="${purpose}" value="${decision}"${checked}> <label for="${id}">${escapeHtml(t(locale, decision === 'granted' ? 'prefs.granted' : 'prefs.denied'))}</label></span>`;
    });
    return [
      `<fieldset class="purpose" aria-describedby="${purpose}-help ${purpose}-basis">`,
      `<legend>${escapeHtml(t(locale, purposeKey(purpose)))}</legend>`,
      `<p id="${purpose}-help" class="hint">${escapeHtml(t(locale, purposeKey(purpose, 'help')))}</p>`,
      `<div class="choices">${choices.join('')}</div>`,
      `<p id="${purpose}-basis" class="basis">${escapeHtml(t(locale, basis === 'explicit' ? 'prefs.basis.explicit' : 'prefs.basis.default'))}</p>`,
      '</fieldset>',
    ].join('');
  });

  const parts = [
    `<h1>${escapeHtml(t(locale, 'prefs.title'))}</h1>`,
    `<p>${escapeHtml(t(locale, 'prefs.intro'))}</p>`,
    `<form method="post" action="${escapeHtml(view.formAction)}">`,
    hidden('locale', locale),
    hidden('csrf', view.csrfToken),
    ...fieldsets,
    `<button type="submit">${escapeHtml(t(locale, 'prefs.submit'))}</button>`,
    '</form>',
  ];
  if (view.propagation && view.propagation.systems.length > 0) {
    parts.push(
      '<section aria-labelledby="propagation-heading">',
      `<h2 id="propagation-heading">${escapeHtml(t(locale, 'prefs.propagation.title'))}</h2>`,
      `<div aria-live="polite">${systemsTable(locale, t(locale, 'prefs.propagation.intro'), view.propagation.systems)}</div>`,
      '</section>',
    );
  }
  return page(locale, t(locale, 'prefs.title'), parts.join('\n'), view);
}

// ---------------------------------------------------------------------------------------------
// Messages (errors and notices)
// ---------------------------------------------------------------------------------------------

export interface MessagePageOptions extends PageFrame {
  titleKey: MessageKey;
  bodyKey: MessageKey;
  values?: MessageValues;
  /** A way on, e.g. { href: '/privacy', labelKey: 'portal.startOver' }. */
  action?: { href: string; labelKey: MessageKey };
  /** A button that POSTs (with the anti-forgery token), e.g. "Email me a new link". */
  form?: { action: string; csrfToken: string; labelKey: MessageKey };
}

export function renderMessage(locale: Locale, options: MessagePageOptions): string {
  const main = [
    `<h1>${escapeHtml(t(locale, options.titleKey, options.values))}</h1>`,
    `<p>${message(locale, options.bodyKey, options.values)}</p>`,
    options.form
      ? [
          `<form method="post" action="${escapeHtml(options.form.action)}">`,
          hidden('csrf', options.form.csrfToken),
          `<button type="submit">${escapeHtml(t(locale, options.form.labelKey))}</button>`,
          '</form>',
        ].join('\n')
      : '',
    options.action
      ? `<p><a href="${escapeHtml(options.action.href)}">${escapeHtml(t(locale, options.action.labelKey))}</a></p>`
      : '',
  ].join('\n');
  return page(locale, t(locale, options.titleKey, options.values), main, options);
}

export interface ConfirmVerificationOptions extends PageFrame {
  requestId: string;
  /** The code from the emailed link, sent back with the button's POST. */
  code: string;
  csrfToken: string;
}

/**
 * Where the emailed link lands: a button that confirms with a POST. Opening the link verifies
 * nothing, so a mail scanner that follows every link in a message cannot confirm a request that
 * someone else filed for this address.
 */
export function renderConfirmVerification(locale: Locale, options: ConfirmVerificationOptions): string {
  const main = [
    `<h1>${escapeHtml(t(locale, 'verify.confirm.title'))}</h1>`,
    `<p>${escapeHtml(t(locale, 'verify.confirm.body'))}</p>`,
    `<p class="reference">${message(locale, 'request.reference', { requestId: isolate(options.requestId) })}</p>`,
    `<form method="post" action="${escapeHtml(verifyAction(options.requestId))}">`,
    hidden('csrf', options.csrfToken),
    hidden('code', options.code),
    `<button type="submit">${escapeHtml(t(locale, 'verify.confirm.submit'))}</button>`,
    '</form>',
    `<p class="hint">${escapeHtml(t(locale, 'email.verification.ignore'))}</p>`,
  ].join('\n');
  return page(locale, t(locale, 'verify.confirm.title'), main, options);
}
