import { Liquid, type Template } from 'liquidjs';
import { isMjml, isRightToLeft, type TemplateVariant } from '../domain/templates';

/**
 * MJML (with the HTML parsing and CSS inlining under it: about 15 MB of heap) is loaded when a
 * template first needs it: the web process, which checks and previews templates now and then but
 * answers tracking calls all the time, does not carry it from the start (docs/design/ingestion.md,
 * "Memory of the web process").
 */
const mjml = async () => (await import('mjml')).default;

/**
 * Marketing templates rendered (issue 12, content): Liquid through liquidjs, sandboxed (no file
 * includes, own properties only, unknown filters refused), HTML output escaped, an MJML email body
 * compiled to responsive HTML, right-to-left locales laid out `dir="rtl"`. Nothing here reads a
 * database: activities/channels/templates.ts loads the template and the person and calls
 * `renderVariant` inside the person's region.
 *
 * Filters beside Liquid's own:
 *   {{ 1234.5 | money }}              in the person's currency (latest order) and locale; `| money: "JPY"` names one
 *   {{ some_date | local_date }}      the date in the person's zone and locale (`| local_date: "full"`)
 *   {{ some_date | local_datetime }}  date and time, likewise
 */

/** How the person-dependent filters format: the variant's locale, the person's zone and currency. */
export interface RenderSettings {
  /** The variant's locale: the document's lang and direction. */
  locale: string;
  /** How numbers and dates are written; by default `locale`. */
  formatLocale?: string;
  zone: string;
  currency?: string;
}

export interface RenderedContent {
  subject?: string;
  text: string;
  html?: string;
}

type DateStyle = 'full' | 'long' | 'medium' | 'short';
const DATE_STYLES: readonly string[] = ['full', 'long', 'medium', 'short'];

// A filter's `this` is liquidjs's FilterImpl: its context holds the render's globals.
const settingsOf = (self: unknown) =>
  (self as { context: { globals: { settings: RenderSettings } } }).context.globals.settings;

function engine(escapeHtml: boolean): Liquid {
  const liquid = new Liquid({
    // In-memory only: {% include %} / {% render %} never read the worker's files.
    templates: {},
    ownPropertyOnly: true,
    strictFilters: true,
    ...(escapeHtml ? { outputEscape: 'escape' as const } : {}),
  });
  liquid.registerFilter('money', function (this: unknown, amount: unknown, currency?: unknown) {
    const s = settingsOf(this);
    const value = typeof amount === 'number' ? amount : Number(amount);
    if (!Number.isFinite(value)) return '';
    const code = typeof currency === 'string' && currency ? currency : s.currency;
    return code
      ? new Intl.NumberFormat(s.formatLocale ?? s.locale, { style: 'currency', currency: code }).format(value)
      : new Intl.NumberFormat(s.formatLocale ?? s.locale).format(value);
  });
  const dateFilter = (withTime: boolean) =>
    function (this: unknown, value: unknown, style?: unknown) {
      const s = settingsOf(this);
      const date = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(date.getTime())) return '';
      const dateStyle = (typeof style === 'string' && DATE_STYLES.includes(style) ? style : 'long') as DateStyle;
      return new Intl.DateTimeFormat(s.formatLocale ?? s.locale, {
        dateStyle,
        ...(withTime ? { timeStyle: 'short' as const } : {}),
        timeZone: s.zone,
      }).format(date);
    };
  liquid.registerFilter('local_date', dateFilter(false));
  liquid.registerFilter('local_datetime', dateFilter(true));
  return liquid;
}

const htmlLiquid = engine(true);
const textLiquid = engine(false);

/** Parsed sources, per engine: a broadcast renders one variant for every member, parsed once. */
const PARSED_CACHE_SIZE = 200;
const parsedCache = new Map<Liquid, Map<string, Template[]>>();

function renderLiquid(
  liquid: Liquid,
  source: string,
  scope: Record<string, unknown>,
  options: { globals: { settings: RenderSettings } },
): Promise<string> {
  let cache = parsedCache.get(liquid);
  if (!cache) parsedCache.set(liquid, (cache = new Map()));
  let parsed = cache.get(source);
  if (!parsed) {
    parsed = liquid.parse(source);
    if (cache.size >= PARSED_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(source, parsed);
  }
  return liquid.render(parsed, scope, options) as Promise<string>;
}

/** A variant's Liquid and MJML, checked when it is saved: the first problem, or undefined. */
export async function checkTemplateVariant(channel: string, variant: TemplateVariant): Promise<string | undefined> {
  try {
    if (variant.subject) textLiquid.parse(variant.subject);
    if (variant.text) textLiquid.parse(variant.text);
    (channel === 'email' ? htmlLiquid : textLiquid).parse(variant.body);
  } catch (error) {
    return `Liquid: ${(error as Error).message.split('\n')[0]}`;
  }
  if (channel === 'email' && isMjml(variant.body)) {
    try {
      await (await mjml())(variant.body, { validationLevel: 'strict' });
    } catch (error) {
      return `MJML: ${(error as Error).message.replace(/\s+/g, ' ').trim()}`;
    }
  }
  return undefined;
}

/** The text part of an HTML email when the variant gives none: its visible text. */
export function textOfHtml(html: string): string {
  return html
    .replace(/<(head|style|script|title)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table|section)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Sets the document's direction and language (on <html> and <body>), or wraps a fragment in a <div> that does. */
export function withDirection(html: string, locale: string): string {
  const dir = isRightToLeft(locale) ? 'rtl' : 'ltr';
  if (/<html[\s>]/i.test(html)) {
    return html
      .replace(/<html([^>]*)>/i, (_m, attrs: string) => {
        const cleaned = attrs.replace(/\s(dir|lang)="[^"]*"/gi, '');
        return `<html${cleaned} lang="${locale}" dir="${dir}">`;
      })
      .replace(/<body([^>]*)>/i, (_m, attrs: string) => `<body${attrs.replace(/\sdir="[^"]*"/gi, '')} dir="${dir}">`);
  }
  return `<div lang="${locale}" dir="${dir}">${html}</div>`;
}

/** One variant for one person: `scope` is what the Liquid sees, `settings` how money and dates are formatted. */
export async function renderVariant(
  channel: string,
  variant: TemplateVariant,
  scope: Record<string, unknown>,
  settings: RenderSettings,
): Promise<RenderedContent> {
  const options = { globals: { settings } };
  if (channel !== 'email') return { text: (await renderLiquid(textLiquid, variant.body, scope, options)).trim() };
  const subject = (await renderLiquid(textLiquid, variant.subject ?? '', scope, options)).replace(/\s+/g, ' ').trim();
  let html = await renderLiquid(htmlLiquid, variant.body, scope, options);
  if (isMjml(html)) html = (await (await mjml())(html, { validationLevel: 'soft' })).html;
  html = withDirection(html, settings.locale);
  const text = variant.text ? (await renderLiquid(textLiquid, variant.text, scope, options)).trim() : textOfHtml(html);
  return { subject, text, html };
}
