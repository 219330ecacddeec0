import { z } from 'zod';
import { brandIdSchema } from './brands';
import { CHANNELS, type Channel } from './quiet-hours';

/**
 * Message templates (issue 12, content): one per brand and channel, with a variant per BCP-47
 * locale, versioned (an update is a new version; a broadcast or journey step names the version it
 * was built with). Bodies are Liquid (liquidjs); an email body may be MJML, compiled to responsive
 * HTML. Templates hold no personal data: they live in the global database. What a person sees is
 * chosen by `variantFor` (the fallback chain below) and rendered inside their region's activity.
 */

export const TEMPLATE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const templateIdSchema = z.string({ error: 'id is required' }).regex(TEMPLATE_ID_PATTERN, {
  error: 'id must be 1–64 lower-case letters, digits, _ or -, starting with a letter or digit',
});

/** A BCP-47 tag as Intl understands it (en, pt-BR, zh-Hant-HK), stored canonically (Intl.getCanonicalLocales). */
export function canonicalLocale(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical;
  } catch {
    return undefined;
  }
}

export const localeSchema = z.string().transform((value, ctx) => {
  const canonical = canonicalLocale(value);
  if (!canonical) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a BCP-47 locale: use e.g. en, pt-BR or zh-Hant-HK` });
    return z.NEVER;
  }
  return canonical;
});

const MAX_BODY = 200_000;

export const templateVariantSchema = z.strictObject({
  /** Email only: Liquid. */
  subject: z.string().trim().min(1).max(300).optional(),
  /** Liquid; for email, HTML or an MJML document (`<mjml>…</mjml>`). */
  body: z.string().min(1, { error: 'body must not be empty' }).max(MAX_BODY),
  /** Email only: the plain-text part (Liquid); by default the HTML's text. */
  text: z.string().min(1).max(MAX_BODY).optional(),
});
export type TemplateVariant = z.infer<typeof templateVariantSchema>;

const templateContentSchema = z.object({
  channel: z.enum(CHANNELS, { error: `channel must be one of ${CHANNELS.join(', ')}` }),
  defaultLocale: localeSchema,
  variants: z
    .record(z.string(), templateVariantSchema)
    .refine((v) => Object.keys(v).length > 0, { error: 'give at least one variant, keyed by locale' }),
});

function checkVariants(
  t: { channel: Channel; defaultLocale: string; variants: Record<string, TemplateVariant> },
  ctx: z.RefinementCtx,
): void {
  const locales = Object.keys(t.variants);
  for (const locale of locales) {
    if (canonicalLocale(locale) !== locale)
      ctx.addIssue({
        code: 'custom',
        path: ['variants', locale],
        message: `"${locale}" is not a canonical BCP-47 locale: use ${canonicalLocale(locale) ?? 'e.g. en, pt-BR or zh-Hant-HK'}`,
      });
    const variant = t.variants[locale]!;
    if (t.channel === 'email' && !variant.subject)
      ctx.addIssue({
        code: 'custom',
        path: ['variants', locale, 'subject'],
        message: 'an email variant needs a subject',
      });
    if (t.channel !== 'email' && (variant.subject || variant.text))
      ctx.addIssue({
        code: 'custom',
        path: ['variants', locale],
        message: `subject and text are for email; a ${t.channel} variant has a body only`,
      });
  }
  if (!locales.includes(t.defaultLocale))
    ctx.addIssue({
      code: 'custom',
      path: ['defaultLocale'],
      message: `the brand default locale ${t.defaultLocale} needs a variant: every chain ends there`,
    });
}

export const templateInputSchema = templateContentSchema
  .extend({ id: templateIdSchema, brandId: brandIdSchema, name: z.string().trim().min(1).max(200) })
  .strict()
  .superRefine(checkVariants);
export type TemplateInput = z.infer<typeof templateInputSchema>;

/**
 * An update: a new version with the whole content; id, brand and channel stay as created (the
 * route checks the result with templateInputSchema).
 */
export const templateUpdateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  defaultLocale: z.string(),
  variants: z.record(z.string(), z.unknown()),
});

export interface MessageTemplate {
  id: string;
  version: number;
  brandId: string;
  name: string;
  channel: Channel;
  defaultLocale: string;
  variants: Record<string, TemplateVariant>;
  createdAt: Date;
}

/**
 * A template reference as journeys and broadcasts name it: `<id>` (the latest version at send
 * time) or `<id>:v<version>` (pinned). Both fit the send request's ID pattern.
 */
export function parseTemplateRef(ref: string): { id: string; version?: number } | undefined {
  const match = /^([a-z0-9][a-z0-9_-]{0,63})(?::v([1-9][0-9]{0,8}))?$/.exec(ref);
  if (!match) return undefined;
  return match[2] ? { id: match[1]!, version: Number(match[2]) } : { id: match[1]! };
}

export const templateRef = (id: string, version?: number) => (version ? `${id}:v${version}` : id);

/**
 * The locales to try for a person, most specific first: each subtag dropped in turn (zh-Hant-HK →
 * zh-Hant → zh), then the brand's default. Extensions (-u-…) are not locales of their own.
 */
export function localeFallbackChain(personLocale: string | undefined, brandDefault: string): string[] {
  const chain: string[] = [];
  const add = (tag: string) => {
    if (!chain.includes(tag)) chain.push(tag);
  };
  const canonical = personLocale ? canonicalLocale(personLocale) : undefined;
  if (canonical) {
    const parts = canonical.split(/-(?:[a-wyz]|x)-/i)[0]!.split('-');
    for (let n = parts.length; n >= 1; n--) add(parts.slice(0, n).join('-'));
  }
  add(canonicalLocale(brandDefault) ?? brandDefault);
  return chain;
}

/** The variant a person gets: the first locale of their chain the template has. */
export function variantFor(
  template: Pick<MessageTemplate, 'defaultLocale' | 'variants'>,
  personLocale: string | undefined,
): { locale: string; variant: TemplateVariant } {
  for (const locale of localeFallbackChain(personLocale, template.defaultLocale)) {
    const variant = template.variants[locale];
    if (variant) return { locale, variant };
  }
  // The schema keeps a variant for the default locale; a hand-edited row without one still renders something.
  const [locale, variant] = Object.entries(template.variants)[0]!;
  return { locale, variant };
}

/** Languages written right to left (Arabic, Hebrew, Persian, Urdu and their scripts' siblings). */
const RTL_LANGUAGES = new Set(['ar', 'he', 'iw', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

export function isRightToLeft(locale: string): boolean {
  const canonical = canonicalLocale(locale);
  if (!canonical) return false;
  const loc = new Intl.Locale(canonical);
  if (loc.script) return ['Arab', 'Hebr', 'Thaa', 'Syrc', 'Nkoo', 'Adlm', 'Rohg'].includes(loc.script);
  return RTL_LANGUAGES.has(loc.language);
}

/** Whether an email body is an MJML document, to compile to responsive HTML. */
export const isMjml = (body: string) => /^\s*<mjml[\s>]/i.test(body);
