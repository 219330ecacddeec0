import type { Sql } from 'postgres';
import type { Channel } from '../domain/quiet-hours';
import type { MessageTemplate, TemplateInput, TemplateVariant } from '../domain/templates';

/**
 * Message templates in the global database (`message_templates`, no personal data): every version
 * kept, so a send pinned to `id:v3` renders what was approved even after the template changed.
 */

interface TemplateRow {
  id: string;
  version: number;
  brand_id: string;
  name: string;
  channel: string;
  default_locale: string;
  variants: Record<string, TemplateVariant>;
  created_at: Date;
}

const toTemplate = (r: TemplateRow): MessageTemplate => ({
  id: r.id,
  version: r.version,
  brandId: r.brand_id,
  name: r.name,
  channel: r.channel as Channel,
  defaultLocale: r.default_locale,
  variants: r.variants,
  createdAt: r.created_at,
});

/** Version 1 of a new template; undefined when the ID is taken. */
export async function createTemplate(globalSql: Sql, input: TemplateInput): Promise<MessageTemplate | undefined> {
  const [row] = await globalSql<TemplateRow[]>`
    insert into message_templates (id, version, brand_id, name, channel, default_locale, variants)
    select ${input.id}, 1, ${input.brandId}, ${input.name}, ${input.channel}, ${input.defaultLocale},
           ${JSON.stringify(input.variants)}::text::jsonb
    where not exists (select 1 from message_templates where id = ${input.id})
    on conflict (id, version) do nothing
    returning *`;
  return row ? toTemplate(row) : undefined;
}

/** A new version after the latest (two concurrent updates: one wins each number, the other retries). */
export async function addTemplateVersion(
  globalSql: Sql,
  id: string,
  content: Pick<TemplateInput, 'name' | 'defaultLocale' | 'variants'>,
): Promise<MessageTemplate | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [row] = await globalSql<TemplateRow[]>`
      insert into message_templates (id, version, brand_id, name, channel, default_locale, variants)
      select id, version + 1, brand_id, ${content.name}, channel, ${content.defaultLocale},
             ${JSON.stringify(content.variants)}::text::jsonb
      from message_templates where id = ${id} order by version desc limit 1
      on conflict (id, version) do nothing
      returning *`;
    if (row) return toTemplate(row);
    if (!(await getTemplate(globalSql, id))) return undefined;
  }
  throw new Error(`template ${id}: five concurrent updates in a row; try again`);
}

/** The latest version, or the one asked for. */
export async function getTemplate(globalSql: Sql, id: string, version?: number): Promise<MessageTemplate | undefined> {
  const [row] = version
    ? await globalSql<TemplateRow[]>`select * from message_templates where id = ${id} and version = ${version}`
    : await globalSql<TemplateRow[]>`
        select * from message_templates where id = ${id} order by version desc limit 1`;
  return row ? toTemplate(row) : undefined;
}

/** Every template's latest version, optionally of one brand. */
export async function listTemplates(globalSql: Sql, brandId?: string): Promise<MessageTemplate[]> {
  const rows = await globalSql<TemplateRow[]>`
    select distinct on (id) * from message_templates
    where ${brandId === undefined ? globalSql`true` : globalSql`brand_id = ${brandId}`}
    order by id, version desc`;
  return rows.map(toTemplate);
}
