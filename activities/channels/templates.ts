import type { Sql } from 'postgres';
import type { RegionKey } from '../../db/crypto-shredding';
import { loadRecipientContext, loadRecipientContexts, type RecipientContext } from '../../db/recipients-store';
import { getTemplate } from '../../db/templates-store';
import { type MessageTemplate, parseTemplateRef, variantFor } from '../../domain/templates';
import { renderVariant } from '../../mail/message-templates';
import { ChannelSendError, type RenderedMessage } from './channels';
import type { MessageTemplates } from './regional';

/**
 * The `MessageTemplates` sendMessage renders with (issue 12, content), inside the person's region:
 * the template from the global database (cached: a pinned `id:vN` never changes, the latest
 * is re-read after LATEST_TTL_MS), the person's locale, zone, currency, non-identifying traits and
 * first name from their region (db/recipients-store.ts), the variant from their locale's fallback
 * chain (domain/templates.ts), rendered by mail/message-templates.ts. The Liquid sees
 * `first_name`, `traits.<key>`, `locale`, `country`, `currency`.
 */

const CACHE_SIZE = 500;
const LATEST_TTL_MS = 10_000;

export interface TemplateRendererDeps {
  sql: Sql;
  globalSql: Sql;
  regionKey: RegionKey;
  now?: () => number;
}

export function createTemplateRenderer(deps: TemplateRendererDeps): MessageTemplates {
  const now = deps.now ?? Date.now;
  const pinned = new Map<string, MessageTemplate>();
  const latest = new Map<string, { template: MessageTemplate; at: number }>();

  async function load(ref: string): Promise<MessageTemplate> {
    const parsed = parseTemplateRef(ref);
    if (!parsed) throw new ChannelSendError(`template ${ref}: not a template reference (id or id:vN)`, false);
    let template: MessageTemplate | undefined;
    if (parsed.version) {
      template = pinned.get(ref);
      if (!template) {
        template = await getTemplate(deps.globalSql, parsed.id, parsed.version);
        if (template) {
          if (pinned.size >= CACHE_SIZE) pinned.delete(pinned.keys().next().value!);
          pinned.set(ref, template);
        }
      }
    } else {
      const cached = latest.get(ref);
      if (cached && now() - cached.at < LATEST_TTL_MS) template = cached.template;
      else {
        template = await getTemplate(deps.globalSql, parsed.id);
        if (template) {
          if (latest.size >= CACHE_SIZE) latest.delete(latest.keys().next().value!);
          latest.set(ref, { template, at: now() });
        }
      }
    }
    if (!template)
      throw new ChannelSendError(`template ${ref} does not exist: create it with POST /admin/templates`, false);
    return template;
  }

  /** The template for `ref`, checked against the channel and brand asked for (errors hold no personal value). */
  async function templateFor(ref: string, context: { channel: string; brandId: string }): Promise<MessageTemplate> {
    const template = await load(ref);
    if (template.channel !== context.channel)
      throw new ChannelSendError(`template ${ref} is for ${template.channel}, not ${context.channel}`, false);
    if (template.brandId !== context.brandId)
      throw new ChannelSendError(`template ${ref} belongs to brand ${template.brandId}, not ${context.brandId}`, false);
    return template;
  }

  async function renderFor(ref: string, template: MessageTemplate, recipient: RecipientContext) {
    const { locale, variant } = variantFor(template, recipient.locale);
    const scope = {
      first_name: recipient.firstName ?? null,
      traits: recipient.traits,
      locale,
      country: recipient.country ?? null,
      currency: recipient.currency ?? null,
    };
    try {
      return await renderVariant(template.channel, variant, scope, {
        // Text in the variant's language; numbers and dates in the person's own form of it (zh-Hant → zh-Hant-HK).
        locale,
        formatLocale:
          recipient.locale && (recipient.locale === locale || recipient.locale.startsWith(`${locale}-`))
            ? recipient.locale
            : locale,
        zone: recipient.zone,
        ...(recipient.currency ? { currency: recipient.currency } : {}),
      });
    } catch (error) {
      // Never the rendered content or the values in it: the template and the error's kind only.
      throw new ChannelSendError(`template ${ref} (${locale}) did not render: ${(error as Error).name}`, false);
    }
  }

  return {
    async render(ref, context) {
      const template = await templateFor(ref, context);
      const recipient = await loadRecipientContext(deps.sql, deps.regionKey, context.customerId);
      return renderFor(ref, template, recipient);
    },
    async renderBatch(ref, context, customerIds) {
      const template = await templateFor(ref, context);
      const recipients = await loadRecipientContexts(deps.sql, deps.regionKey, customerIds);
      const rendered = new Map<string, RenderedMessage | ChannelSendError>();
      for (const customerId of customerIds) {
        try {
          rendered.set(customerId, await renderFor(ref, template, recipients.get(customerId)!));
        } catch (error) {
          if (!(error instanceof ChannelSendError)) throw error;
          rendered.set(customerId, error);
        }
      }
      return rendered;
    },
  };
}
