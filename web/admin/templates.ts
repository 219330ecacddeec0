import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { getConsoleUser } from '../../db/console-users-store';
import { z } from 'zod';
import { addTemplateVersion, createTemplate, getTemplate, listTemplates } from '../../db/templates-store';
import { brandIdSchema } from '../../domain/brands';
import { CHANNELS } from '../../domain/quiet-hours';
import {
  type MessageTemplate,
  type TemplateInput,
  templateInputSchema,
  templateUpdateSchema,
} from '../../domain/templates';
import { loadRecipientContext, profileExists, type RecipientContext } from '../../db/recipients-store';
import { isTimeZone } from '../../domain/local-time';
import { countSmsSegments } from '../../domain/sms-segments';
import { canonicalLocale, isRightToLeft, localeFallbackChain, variantFor } from '../../domain/templates';
import { checkTemplateVariant, renderVariant } from '../../mail/message-templates';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminKit, onlyFields, parseWith, seesBrand, requireBrand } from './kit';

/**
 * Message templates (issue 12, content): per brand and channel, a Liquid variant per locale
 * (an email's may be MJML), versioned — an update adds a version, and sends pinned to `id:vN`
 * keep rendering what they were approved with. Templates hold no personal data and are sent in
 * every region: any token may read them; creating or changing one needs a token for all regions,
 * as other workspace-wide definitions (computed traits, brands) do.
 */

const variantView = z.object({
  subject: z.string().optional(),
  body: z.string(),
  text: z.string().optional(),
});
const templateView = z.object({
  id: z.string(),
  version: z.number().int(),
  brandId: z.string(),
  name: z.string(),
  channel: z.enum(CHANNELS),
  defaultLocale: z.string().describe("the brand's default locale: every fallback chain ends there"),
  variants: z.record(z.string(), variantView).describe('by BCP-47 locale (en, pt-BR, zh-Hant-HK)'),
  ref: z.string().describe('what a broadcast or journey step names to send this version: id:vN'),
  createdAt: z.string().meta({ format: 'date-time' }),
});

const view = (t: MessageTemplate) => ({ ...t, ref: `${t.id}:v${t.version}` });

const listQuery = z.object({ brand: brandIdSchema.optional().describe("only this brand's templates") });
const getQuery = z.object({
  version: z.coerce.number().int().min(1).optional().describe('a version; by default the latest'),
});

const workspaceWide = 'templates are sent in every region';

const previewBody = z.strictObject({
  locale: z
    .string()
    .refine((l) => canonicalLocale(l) !== undefined, { error: 'must be a BCP-47 locale, e.g. zh-Hant-HK' })
    .describe("the reader's locale: the variant is chosen along its fallback chain"),
  version: z.number().int().min(1).optional().describe('a version; by default the latest'),
  zone: z
    .string()
    .refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Asia/Tokyo' })
    .optional()
    .describe("dates in this zone (a sample profile's own zone wins); default UTC"),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code, e.g. EUR' })
    .optional()
    .describe("money in this currency (a sample profile's own wins)"),
  sample: z
    .strictObject({ customerId: z.uuid({ error: 'must be a customer ID (a UUID)' }), region: z.string() })
    .optional()
    .describe(
      'a profile to render with: its values are shown only to a token that may read the region; others see placeholders',
    ),
});

const testSendBody = z.strictObject({
  locale: z.string().min(2).max(35).optional().describe("the variant's locale (its fallback chain); default: yours"),
  version: z.number().int().min(1).optional(),
});

const previewView = z.object({
  ref: z.string(),
  channel: z.enum(CHANNELS),
  fallbackChain: z.array(z.string()).describe('the locales tried, most specific first, ending at the brand default'),
  variantLocale: z.string().describe('the variant rendered: the first of the chain the template has'),
  direction: z.enum(['ltr', 'rtl']),
  values: z.enum(['profile', 'placeholders']).describe("the sample profile's own values, or placeholders"),
  content: z.object({ subject: z.string().optional(), text: z.string(), html: z.string().optional() }),
  sms: z
    .object({ encoding: z.enum(['GSM-7', 'UCS-2']), segments: z.number().int(), units: z.number().int() })
    .optional()
    .describe('what an SMS costs: GSM-7 160/153 characters a segment, UCS-2 (Thai, Chinese, Arabic …) 70/67'),
});

/** Placeholders for a reader who may not see the sample's values: `[first_name]`, `[traits.<key>]`. */
function placeholderContext(template: MessageTemplate): RecipientContext {
  const source = Object.values(template.variants)
    .flatMap((v) => [v.subject ?? '', v.body, v.text ?? ''])
    .join('\n');
  const traits: Record<string, unknown> = {};
  for (const [, key] of source.matchAll(/traits\.([A-Za-z0-9_]+)/g)) traits[key!] = `[traits.${key}]`;
  return { zone: 'UTC', firstName: '[first_name]', traits };
}

export function registerTemplateRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const noTemplate = (id: string) => kit.fail(404, `no template "${id}": list them with GET /admin/templates`);

  /** The template's variant for `locale` (its fallback chain), rendered for `recipient`. */
  async function render(
    template: MessageTemplate,
    recipient: RecipientContext,
    locale: string,
    zone: string,
    currency: string | undefined,
  ) {
    const { locale: variantLocale, variant } = variantFor(template, locale);
    try {
      const content = await renderVariant(
        template.channel,
        variant,
        {
          first_name: recipient.firstName ?? null,
          traits: recipient.traits,
          locale: variantLocale,
          country: recipient.country ?? null,
          currency: currency ?? null,
        },
        {
          locale: variantLocale,
          formatLocale: locale === variantLocale || locale.startsWith(`${variantLocale}-`) ? locale : variantLocale,
          zone,
          ...(currency ? { currency } : {}),
        },
      );
      return { variantLocale, content };
    } catch (error) {
      throw kit.fail(400, `variants.${variantLocale}: did not render: ${(error as Error).message.slice(0, 200)}`);
    }
  }

  async function checkContent(input: TemplateInput): Promise<void> {
    for (const [locale, variant] of Object.entries(input.variants)) {
      const problem = await checkTemplateVariant(input.channel, variant);
      if (problem) throw kit.fail(400, `variants.${locale}: ${problem}`);
    }
  }

  scope.post(
    '/admin/templates',
    {
      schema: adminRoute({
        summary: 'Create a message template, version 1 (token for all regions)',
        body: templateInputSchema,
        response: { 201: json('the template', z.object({ template: templateView })) },
      }),
    },
    async (request, reply) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const input = parseWith(kit, templateInputSchema, request.body);
      await requireBrand(deps.globalSql, input.brandId);
      await checkContent(input);
      const template = await createTemplate(deps.globalSql, input);
      if (!template)
        throw kit.fail(409, `template ${input.id} exists: add a version with PUT /admin/templates/${input.id}`);
      return reply.code(201).send({ template: view(template) });
    },
  );

  scope.put<{ Params: { id: string } }>(
    '/admin/templates/:id',
    {
      schema: adminRoute({
        summary: "A template's new version: name, default locale and every variant (token for all regions)",
        body: templateUpdateSchema,
        response: { 200: z.object({ template: templateView }) },
      }),
    },
    async (request) => {
      kit.requireAllRegions(kit.authorise(request), workspaceWide);
      const change = parseWith(
        kit,
        templateUpdateSchema,
        onlyFields(kit, request.body, ['name', 'defaultLocale', 'variants']),
      );
      const existing = await getTemplate(deps.globalSql, request.params.id);
      if (!existing) throw noTemplate(request.params.id);
      const input = parseWith(kit, templateInputSchema, {
        id: existing.id,
        brandId: existing.brandId,
        channel: existing.channel,
        ...change,
      });
      await checkContent(input);
      const template = await addTemplateVersion(deps.globalSql, existing.id, input);
      if (!template) throw noTemplate(request.params.id);
      return { template: view(template) };
    },
  );

  scope.get<{ Querystring: Record<string, string> }>(
    '/admin/templates',
    {
      schema: adminRoute({
        summary: "Every template's latest version (any token: templates hold no personal data)",
        querystring: listQuery,
        response: { 200: z.object({ templates: z.array(templateView) }) },
      }),
    },
    async (request) => {
      const principal = kit.authorise(request);
      const query = parseWith(kit, listQuery, onlyFields(kit, request.query, ['brand']), 'query');
      const templates = await listTemplates(deps.globalSql, query.brand);
      return { templates: templates.filter((t) => seesBrand(principal, t.brandId)).map(view) };
    },
  );

  scope.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/admin/templates/:id',
    {
      schema: adminRoute({
        summary: 'A template: its latest version, or ?version=N (any token)',
        querystring: getQuery,
        response: { 200: z.object({ template: templateView }) },
      }),
    },
    async (request) => {
      kit.authorise(request);
      const query = parseWith(kit, getQuery, onlyFields(kit, request.query, ['version']), 'query');
      const template = await getTemplate(deps.globalSql, request.params.id, query.version);
      if (!template)
        throw query.version
          ? kit.fail(404, `template ${request.params.id} has no version ${query.version}`)
          : noTemplate(request.params.id);
      return { template: view(template) };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/templates/:id/preview',
    {
      schema: adminRoute({
        summary:
          "A template rendered for a locale (its fallback chain), optionally with a sample profile's values — shown only to a token that may read the profile's region, placeholders otherwise",
        body: previewBody,
        response: { 200: previewView },
      }),
    },
    async (request) => {
      const token = kit.authorise(request);
      const input = parseWith(kit, previewBody, request.body);
      const template = await getTemplate(deps.globalSql, request.params.id, input.version);
      if (!template)
        throw input.version
          ? kit.fail(404, `template ${request.params.id} has no version ${input.version}`)
          : noTemplate(request.params.id);
      let recipient = placeholderContext(template);
      let values: 'profile' | 'placeholders' = 'placeholders';
      if (input.sample) {
        const region = deps.regional.get(input.sample.region);
        if (!region || input.sample.region === 'global')
          throw kit.fail(400, `sample.region: no region "${input.sample.region.slice(0, 40)}"`);
        // Personal values only for a reader of the region; anyone else previews with placeholders.
        if (kit.mayRead(token, input.sample.region)) {
          if (!(await profileExists(region.sql, input.sample.customerId)))
            throw kit.fail(404, `sample.customerId: no profile ${input.sample.customerId} in ${input.sample.region}`);
          recipient = await loadRecipientContext(region.sql, region.key, input.sample.customerId);
          values = 'profile';
        }
      }
      const locale = canonicalLocale(input.locale)!;
      const zone = values === 'profile' ? recipient.zone : (input.zone ?? 'UTC');
      const currency = (values === 'profile' ? recipient.currency : undefined) ?? input.currency;
      const { variantLocale, content } = await render(template, recipient, locale, zone, currency);
      return {
        ref: `${template.id}:v${template.version}`,
        channel: template.channel,
        fallbackChain: localeFallbackChain(locale, template.defaultLocale),
        variantLocale,
        direction: isRightToLeft(variantLocale) ? ('rtl' as const) : ('ltr' as const),
        values,
        content,
        ...(template.channel === 'sms' ? { sms: countSmsSegments(content.text) } : {}),
      };
    },
  );

  scope.post<{ Params: { id: string } }>(
    '/admin/templates/:id/test-send',
    {
      schema: adminRoute({
        summary:
          "Send an email template to yourself: the signed-in console user's own email, with placeholders for the person's values (audited)",
        body: testSendBody,
        response: {
          202: json('sent to your email', z.object({ to: z.string(), ref: z.string(), variantLocale: z.string() })),
        },
      }),
    },
    async (request, reply) => {
      const principal = kit.authorise(request);
      const input = parseWith(kit, testSendBody, request.body ?? {});
      const user = principal.userId ? await getConsoleUser(deps.globalSql, principal.userId) : undefined;
      if (!user)
        throw kit.fail(
          400,
          "a test send goes to the signed-in console user's own email: sign in to the console to send one",
        );
      const template = await getTemplate(deps.globalSql, request.params.id, input.version);
      if (!template)
        throw input.version
          ? kit.fail(404, `template ${request.params.id} has no version ${input.version}`)
          : noTemplate(request.params.id);
      if (template.channel !== 'email')
        throw kit.fail(
          400,
          `template ${template.id} is for ${template.channel}: only email templates can be sent to yourself`,
        );
      if (!deps.testMailer)
        throw kit.fail(503, 'email is not configured on this server (MERIDIAN_SMTP_URL): a test send cannot go out');
      const locale = canonicalLocale(input.locale ?? user.locale) ?? template.defaultLocale;
      const { variantLocale, content } = await render(
        template,
        placeholderContext(template),
        locale,
        user.timeZone,
        undefined,
      );
      const ref = `${template.id}:v${template.version}`;
      await deps.testMailer.send({
        to: user.email,
        subject: `[test] ${content.subject ?? ''}`,
        text: content.text,
        html: content.html ?? '',
        // Each click is a new test: a new message, not a retry of the last one.
        idempotencyKey: `template-test:${ref}:${user.id}:${randomUUID()}`,
      });
      // Who sent which template to themselves, in each region they work in (no customer is involved).
      const regions = principal.regions === '*' ? deps.regions.dataRegions.map((r) => r.name) : principal.regions;
      await kit.audit(request, principal, regions, { action: 'template.test-send', fields: [`template:${ref}`] });
      reply.code(202);
      return { to: user.email, ref, variantLocale };
    },
  );
}
