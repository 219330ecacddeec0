import type { FastifyInstance } from 'fastify';
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
import { checkTemplateVariant } from '../../mail/message-templates';
import { adminRoute, json } from '../openapi';
import { type AdminDeps, type AdminKit, onlyFields, parseWith, requireBrand } from './kit';

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

export function registerTemplateRoutes(scope: FastifyInstance, deps: AdminDeps, kit: AdminKit): void {
  const noTemplate = (id: string) => kit.fail(404, `no template "${id}": list them with GET /admin/templates`);

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
      kit.authorise(request);
      const query = parseWith(kit, listQuery, onlyFields(kit, request.query, ['brand']), 'query');
      return { templates: (await listTemplates(deps.globalSql, query.brand)).map(view) };
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
}
