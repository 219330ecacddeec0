import { describe, expect, it } from 'vitest';
import { PURPOSES } from '../../domain/consent';
import {
  LOCALE_NAMES,
  type Locale,
  SUPPORTED_LOCALES,
  PUBLIC_SYSTEM_STATUSES,
  systemStatusKey,
  t,
} from '../../domain/privacy-messages';
import {
  countryOptions,
  PORTAL_CSS,
  renderCheckEmail,
  renderConfirmVerification,
  renderMessage,
  renderPreferenceCentre,
  renderRequestForm,
  renderStatus,
  type StatusView,
} from '../../web/privacy/pages';
import { escapeHtml } from '../../mail/html';

const HOSTILE_EMAIL = '"<script>"@x.y';

function form(locale: Locale, extra: Partial<Parameters<typeof renderRequestForm>[1]> = {}) {
  return renderRequestForm(locale, { csrfToken: 'csrf-123', countries: countryOptions(locale), ...extra });
}

function status(locale: Locale, extra: Partial<StatusView> = {}) {
  return renderStatus(locale, {
    requestId: 'req_01HZX',
    type: 'deletion',
    status: 'in-progress',
    receivedAt: '2025-03-10T09:30:00Z',
    dueDate: '2025-04-09',
    canCancel: false,
    systems: PUBLIC_SYSTEM_STATUSES.map((s, i) => ({ label: `System ${i}`, status: s })),
    ...extra,
  });
}

function preferences(locale: Locale) {
  return renderPreferenceCentre(locale, {
    purposes: PURPOSES.map((purpose, i) => ({
      purpose,
      state: i % 2 === 0 ? 'granted' : 'denied',
      basis: i === 0 ? 'explicit' : 'default',
    })),
    propagation: {
      systems: [
        { label: 'Klaviyo', status: 'done' },
        { label: 'Twilio', status: 'retrying' },
      ],
    },
    formAction: '/privacy/preferences/tok_1',
    csrfToken: 'csrf-123',
  });
}

/** Every page the portal renders, for checks that hold on all of them. */
function allPages(locale: Locale): Record<string, string> {
  return {
    form: form(locale, { error: { field: 'email', key: 'form.error.email' } }),
    checkEmail: renderCheckEmail(locale, {
      requestId: 'req_01HZX',
      csrfToken: 'csrf-123',
      error: { key: 'verify.codeWrong.body', values: { attemptsLeft: 2 } },
    }),
    status: status(locale, {
      status: 'cooling-off',
      coolingOffUntil: '2025-03-11T09:30:00Z',
      canCancel: true,
      cancelUrl: '/privacy/requests/req_01HZX/cancel',
      csrfToken: 'c',
    }),
    completed: status(locale, {
      status: 'completed',
      certificateUrl: '/c',
      exportUrl: '/e',
      exportExpiresAt: '2025-04-20T00:00:00Z',
    }),
    preferences: preferences(locale),
    message: renderMessage(locale, {
      titleKey: 'verify.expired.title',
      bodyKey: 'verify.expired.body',
      action: { href: '/privacy', labelKey: 'portal.startOver' },
    }),
    confirm: renderConfirmVerification(locale, { requestId: 'req_01HZX', code: '482913', csrfToken: 'csrf-123' }),
    linkExpired: renderMessage(locale, {
      titleKey: 'status.linkExpired.title',
      bodyKey: 'status.linkExpired.body',
      form: {
        action: '/privacy/requests/req_01HZX/status-link',
        csrfToken: 'csrf-123',
        labelKey: 'status.newLink.submit',
      },
    }),
  };
}

/** Form controls (not hidden inputs) that no <label for> names. */
function unlabelledControls(html: string): string[] {
  const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
  const controls = [...html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)].filter(
    (m) => !/type="hidden"/.test(m[2]!),
  );
  return controls
    .map((m) => /\bid="([^"]+)"/.exec(m[2]!)?.[1] ?? `(${m[1]} without id)`)
    .filter((id) => !labelled.has(id));
}

describe('the page the emailed link opens', () => {
  it('confirms only with its button: a POST carrying the code and the anti-forgery token', () => {
    const html = renderConfirmVerification('de', {
      requestId: 'pr_0123456789abcdef',
      code: '482913',
      csrfToken: 's1.tok"en',
    });
    expect(html).toContain('<form method="post" action="/privacy/requests/pr_0123456789abcdef/verify">');
    expect(html).toContain('<input type="hidden" name="code" value="482913">');
    expect(html).toContain('<input type="hidden" name="csrf" value="s1.tok&quot;en">');
    expect(html).toContain(`<button type="submit">${t('de', 'verify.confirm.submit')}</button>`);
    // Nothing on the page acts by itself: no script, no refresh.
    expect(html).not.toMatch(/<script|http-equiv="refresh"/i);
  });
});

describe('escaping', () => {
  it('escapes an email address typed into the form', () => {
    const html = form('en', { values: { email: HOSTILE_EMAIL, details: '</textarea><img src=x onerror=alert(1)>' } });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('value="&quot;&lt;script&gt;&quot;@x.y"');
    expect(html).toContain('&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;</textarea>');
  });

  it('escapes and isolates opaque values: request IDs, system labels, links', () => {
    const html = status('en', {
      requestId: '<script>alert(1)</script>',
      systems: [{ label: '"><b>Shop</b>', status: 'done' }],
      status: 'completed',
      certificateUrl: '/certificate?a=1&b="2"',
    });
    expect(html).not.toMatch(/<script>|<b>/);
    expect(html).toContain('<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>');
    expect(html).toContain('<bdi>&quot;&gt;&lt;b&gt;Shop&lt;/b&gt;</bdi>');
    expect(html).toContain('href="/certificate?a=1&amp;b=&quot;2&quot;"');
    expect(renderCheckEmail('en', { requestId: 'a/b?c', csrfToken: '"x"' })).toContain(
      'action="/privacy/requests/a%2Fb%3Fc/verify"',
    );
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('the request form', () => {
  it.each(SUPPORTED_LOCALES)(
    '%s: has a label for every input, and the request types in a fieldset with a legend',
    (locale) => {
      const html = form(locale);
      expect(unlabelledControls(html)).toEqual([]);
      const fieldset = /<fieldset[^>]*>([\s\S]*?)<\/fieldset>/.exec(html)?.[1] ?? '';
      expect(fieldset).toContain(`<legend>${escapeHtml(t(locale, 'form.typeLegend'))}</legend>`);
      expect(fieldset.match(/type="radio" [^>]*name="type"/g)).toHaveLength(5);
      expect(html.match(/type="radio"/g)).toHaveLength(5);
      for (const name of ['type', 'email', 'country', 'usState', 'details', 'locale', 'csrf'])
        expect(html).toContain(`name="${name}"`);
      expect(html).toContain('<form method="post" action="/privacy/requests"');
      expect(html).toContain(`<input type="hidden" name="locale" value="${locale}">`);
      expect(html).toContain('<input type="hidden" name="csrf" value="csrf-123">');
      expect(html).toContain(escapeHtml(t(locale, 'form.usState')));
    },
  );

  it('names countries in the reader’s language and keeps the choices after an error', () => {
    const html = form('ja', {
      values: { type: 'correction', country: 'DE', usState: 'CA', email: 'a@b.c' },
      error: [{ field: 'details', key: 'form.error.details' }],
    });
    expect(html).toContain('<option value="DE" selected>ドイツ</option>');
    expect(html).toContain('<option value="CA" selected>California</option>');
    expect(html).toMatch(/id="type-correction"[^>]* checked/);
    expect(html).toContain('role="alert"');
    expect(html).toContain('href="#details"');
    expect(html).toMatch(
      /<textarea id="details"[^>]*aria-describedby="details-help details-error"[^>]*aria-invalid="true"/,
    );
    expect(countryOptions('de').find((c) => c.code === 'JP')?.name).toBe('Japan');
    expect(countryOptions('fr').find((c) => c.code === 'DE')?.name).toBe('Allemagne');
  });
});

describe('direction and language', () => {
  it('sets lang and dir on the document', () => {
    expect(form('ar')).toContain('<html lang="ar" dir="rtl">');
    expect(form('ja')).toContain('<html lang="ja" dir="ltr">');
    expect(status('zh-Hant')).toContain('<html lang="zh-Hant" dir="ltr">');
  });

  it.each(SUPPORTED_LOCALES)('%s: every page links to every language and has no inline script or style', (locale) => {
    for (const [name, html] of Object.entries(allPages(locale))) {
      for (const other of SUPPORTED_LOCALES) {
        expect(html, `${name} links to ${other}`).toContain(
          `href="?lang=${other}" hreflang="${other}" lang="${other}"`,
        );
        expect(html).toContain(escapeHtml(LOCALE_NAMES[other]));
      }
      expect(html, name).toContain(
        `<a href="?lang=${locale}" hreflang="${locale}" lang="${locale}" dir="${locale === 'ar' ? 'rtl' : 'ltr'}" aria-current="true">`,
      );
      expect(html, name).not.toMatch(/<script|\sstyle=|\son[a-z]+=|javascript:/i);
      expect(html, name).toContain('<link rel="stylesheet" href="/privacy/assets/portal.css">');
      expect(unlabelledControls(html), name).toEqual([]);
    }
  });

  it('keeps the page address in the switcher when given one', () => {
    const html = renderMessage('en', {
      titleKey: 'error.notFound.title',
      bodyKey: 'error.notFound.body',
      selfPath: '/privacy/requests/r1?token=abc&lang=de',
    });
    expect(html).toContain('href="/privacy/requests/r1?token=abc&amp;lang=ja"');
  });

  it('styles with logical properties only, so right-to-left pages mirror', () => {
    expect(PORTAL_CSS).not.toMatch(/\b(left|right)\b/);
    expect(PORTAL_CSS).toContain('text-align: start');
    expect(PORTAL_CSS).toContain('margin-inline');
  });
});

describe('the check-your-email page', () => {
  it('asks for the code with a form that posts the code and the CSRF token', () => {
    const html = renderCheckEmail('ko', { requestId: 'req_9', csrfToken: 'tok' });
    expect(html).toContain('<form method="post" action="/privacy/requests/req_9/verify">');
    expect(html).toMatch(
      /<input type="text" id="code" name="code"[^>]*inputmode="numeric"[^>]*autocomplete="one-time-code"/,
    );
    expect(html).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(html).toContain(`<label for="code">${t('ko', 'checkEmail.code')}</label>`);
    expect(html).toContain('<bdi>req_9</bdi>');
    expect(html).not.toContain('role="alert"');
    expect(html).not.toMatch(/@/);
  });

  it('reads the same for every request, whoever it belongs to', () => {
    const known = renderCheckEmail('en', { requestId: 'req_A', csrfToken: 'x' });
    const unknown = renderCheckEmail('en', { requestId: 'req_B', csrfToken: 'x' });
    expect(known.replaceAll('req_A', 'ID')).toBe(unknown.replaceAll('req_B', 'ID'));
  });

  it('says how many attempts are left after a wrong code', () => {
    const html = renderCheckEmail('en', {
      requestId: 'r',
      csrfToken: 'x',
      error: { key: 'verify.codeWrong.body', values: { attemptsLeft: 1 } },
    });
    expect(html).toContain('You have 1 attempt left.');
    expect(html).toMatch(/id="code"[^>]*aria-describedby="code-help code-error"[^>]*aria-invalid="true"/);
  });
});

describe('the status page', () => {
  it.each(SUPPORTED_LOCALES)('%s: lists each system with its status in words', (locale) => {
    const html = status(locale);
    const rows = [
      ...html.matchAll(/<tr><th scope="row"><bdi>([^<]*)<\/bdi><\/th><td><span[^>]*>([^<]*)<\/span><\/td><\/tr>/g),
    ];
    expect(rows.map((r) => [r[1], r[2]])).toEqual(
      PUBLIC_SYSTEM_STATUSES.map((s, i) => [`System ${i}`, escapeHtml(t(locale, systemStatusKey(s)))]),
    );
    expect(html).toMatch(/<p class="status-current" role="status" aria-live="polite"[^>]*>/);
    expect(html).toContain(escapeHtml(t(locale, 'status.state.in-progress')));
  });

  it('shows the deadline in the local calendar', () => {
    expect(status('ja')).toContain('2025年4月9日までにご回答します。');
    expect(status('th')).toContain('9 เมษายน 2568');
    expect(status('ar')).toContain('أبريل');
    expect(status('en')).toContain('We will answer by April 9, 2025.');
  });

  it('calls a connector’s not-found "nothing held"', () => {
    expect(status('en', { systems: [{ label: 'Shopify', status: 'not-found' }] })).toContain('>Nothing held</span>');
  });

  it('offers cancelling during cooling-off, until a time in the person’s zone', () => {
    const html = status('en', {
      status: 'cooling-off',
      coolingOffUntil: '2025-03-11T09:30:00Z',
      timeZone: 'America/New_York',
      canCancel: true,
      cancelUrl: '/privacy/requests/req_01HZX/cancel',
      csrfToken: 'tok',
    });
    expect(html).toContain('Waiting period — you can still change your mind');
    expect(html).toMatch(/You can cancel this request until March 11, 2025 at 5:30\sAM EDT\./);
    expect(html).toContain('<form method="post" action="/privacy/requests/req_01HZX/cancel" class="cancel">');
    expect(html).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(html).toContain('>Cancel this request</button>');
    expect(status('en', { status: 'in-progress', canCancel: false, cancelUrl: '/x' })).not.toContain(
      'Cancel this request',
    );
  });

  it('summarises the certificate and links the export when the request is complete', () => {
    const html = status('en', {
      status: 'completed',
      systems: [
        { label: 'Meridian', status: 'done' },
        { label: 'Shopify', status: 'done' },
        { label: 'Klaviyo', status: 'nothing-held' },
      ],
      certificateUrl: '/privacy/requests/r/certificate',
      exportUrl: '/privacy/requests/r/export',
      exportExpiresAt: '2025-04-20T12:00:00Z',
    });
    expect(html).toContain(
      'We checked 3 systems for your data: 2 completed your request and 1 held no data about you.',
    );
    expect(html).toContain('<a href="/privacy/requests/r/certificate">Download the certificate</a>');
    expect(html).toContain('<a href="/privacy/requests/r/export">Download your data</a>');
    expect(html).toMatch(/This download link works until April 20, 2025 at 12:00\sPM UTC\./);
    expect(status('en', { status: 'in-progress', certificateUrl: '/c' })).not.toContain('Download the certificate');
  });
});

describe('the preference centre', () => {
  it.each(SUPPORTED_LOCALES)('%s: one fieldset per purpose, with the current choice checked', (locale) => {
    const html = preferences(locale);
    expect(unlabelledControls(html)).toEqual([]);
    const fieldsets = [
      ...html.matchAll(/<fieldset class="purpose"[^>]*><legend>([^<]*)<\/legend>([\s\S]*?)<\/fieldset>/g),
    ];
    expect(fieldsets).toHaveLength(PURPOSES.length);
    PURPOSES.forEach((purpose, i) => {
      const [, legend, body] = fieldsets[i]!;
      expect(legend).toBe(escapeHtml(t(locale, `prefs.purpose.${purpose}`)));
      const checked = i % 2 === 0 ? 'granted' : 'denied';
      expect(body).toMatch(new RegExp(`id="${purpose}-${checked}" name="${purpose}" value="${checked}" checked`));
      expect(body).toContain(escapeHtml(t(locale, i === 0 ? 'prefs.basis.explicit' : 'prefs.basis.default')));
    });
    expect(html).toContain('<form method="post" action="/privacy/preferences/tok_1">');
    expect(html).toContain(`>${escapeHtml(t(locale, 'system.status.retrying'))}</span>`);
  });
});

describe('messages', () => {
  it('renders a titled error with a way on', () => {
    const html = renderMessage('de', {
      titleKey: 'verify.tooManyAttempts.title',
      bodyKey: 'verify.tooManyAttempts.body',
      action: { href: '/privacy?lang=de', labelKey: 'portal.startOver' },
    });
    expect(html).toContain('<h1>Zu viele Versuche</h1>');
    expect(html).toContain('<title>Zu viele Versuche – Datenschutzcenter</title>');
    expect(html).toContain('<a href="/privacy?lang=de">Neue Anfrage stellen</a>');
  });
});
