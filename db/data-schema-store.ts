import type { Sql } from 'postgres';
import {
  CompiledRules,
  compileRules,
  DATA_SCHEMA_CACHE_TTL_MS,
  DataSchemaRule,
  dataSchemaRulesSchema,
  NO_RULES,
} from '../domain/data-categories';

/**
 * The workspace's data-schema rules (global `data_schema_versions`): every change is a new version,
 * the newest is in force. Ingestion reads them on every commit, so a process keeps them in memory
 * and re-reads them every CACHE_TTL_MS; a change made through this process is in force here at once.
 */

export interface DataSchemaVersion {
  /** 0: no rules were ever saved (the built-in defaults alone). */
  version: number;
  rules: DataSchemaRule[];
  compiled: CompiledRules;
  changedBy?: string;
  createdAt?: Date;
  reclassificationWorkflowIds: string[];
}

const NONE: DataSchemaVersion = { version: 0, rules: [], compiled: NO_RULES, reclassificationWorkflowIds: [] };

interface VersionRow {
  version: number;
  rules: unknown;
  changed_by: string;
  created_at: Date;
  reclassification_workflow_id: string | null;
}

function fromRow(row: VersionRow | undefined): DataSchemaVersion {
  if (!row) return NONE;
  // Stored rules were validated when saved; parsing again keeps a hand-edited row from breaking ingestion silently.
  const rules = dataSchemaRulesSchema.parse(row.rules);
  return {
    version: row.version,
    rules,
    compiled: compileRules(rules),
    changedBy: row.changed_by,
    createdAt: new Date(row.created_at),
    reclassificationWorkflowIds: row.reclassification_workflow_id?.split(',').filter(Boolean) ?? [],
  };
}

/** The newest version, read now. */
export async function newestDataSchema(globalSql: Sql): Promise<DataSchemaVersion> {
  const [row] = await globalSql<VersionRow[]>`
    select version, rules, changed_by, created_at, reclassification_workflow_id
    from data_schema_versions order by version desc limit 1`;
  return fromRow(row);
}

/** The newest version's number (0: none saved), read now: one index lookup, no rules parsed. */
export async function newestDataSchemaNumber(globalSql: Sql): Promise<number> {
  const [row] = await globalSql<{ version: number | null }[]>`select max(version) as version from data_schema_versions`;
  return row?.version ?? 0;
}

/** One version, or undefined when there is no such version. */
export async function dataSchemaVersion(globalSql: Sql, version: number): Promise<DataSchemaVersion | undefined> {
  if (version === 0) return NONE;
  const [row] = await globalSql<VersionRow[]>`
    select version, rules, changed_by, created_at, reclassification_workflow_id
    from data_schema_versions where version = ${version}`;
  return row ? fromRow(row) : undefined;
}

/** Saves the rules as the next version (one after the newest; a concurrent save makes this retry). */
export async function saveDataSchema(
  globalSql: Sql,
  rules: DataSchemaRule[],
  changedBy: string,
  workflowIds: (version: number) => string[],
): Promise<DataSchemaVersion> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await globalSql<VersionRow[]>`
        insert into data_schema_versions (version, rules, changed_by, reclassification_workflow_id)
        select v, ${JSON.stringify(rules)}::text::jsonb, ${changedBy}, null
        from (select coalesce(max(version), 0) + 1 as v from data_schema_versions) n
        returning version, rules, changed_by, created_at, reclassification_workflow_id`;
      const ids = workflowIds(row!.version);
      await globalSql`
        update data_schema_versions set reclassification_workflow_id = ${ids.join(',')} where version = ${row!.version}`;
      return { ...fromRow(row), reclassificationWorkflowIds: ids };
    } catch (error) {
      if ((error as { code?: string }).code !== '23505' || attempt >= 5) throw error;
    }
  }
}

/** The rules in force, as this process knows them (never older than DATA_SCHEMA_CACHE_TTL_MS plus one read). */
export class DataSchemaCache {
  private current: DataSchemaVersion = NONE;
  private timer?: NodeJS.Timeout;

  constructor(private readonly globalSql: Sql) {}

  get rules(): CompiledRules {
    return this.current.compiled;
  }

  get version(): DataSchemaVersion {
    return this.current;
  }

  async refresh(): Promise<DataSchemaVersion> {
    const newest = await newestDataSchema(this.globalSql);
    // Never step back to an older version (a slow read finishing after a save in this process).
    if (newest.version >= this.current.version) this.current = newest;
    return this.current;
  }

  /**
   * The version in force now, read from the database (its number; the rules only when they changed):
   * the intake processor classifies each batch under one version, and a version saved anywhere
   * applies to every batch that starts after the save.
   */
  async inForce(): Promise<DataSchemaVersion> {
    if ((await newestDataSchemaNumber(this.globalSql)) > this.current.version) return this.refresh();
    return this.current;
  }

  /** A version saved by this process is in force here at once. */
  adopt(version: DataSchemaVersion): void {
    if (version.version >= this.current.version) this.current = version;
  }

  start(intervalMs = DATA_SCHEMA_CACHE_TTL_MS): void {
    this.timer = setInterval(() => void this.refresh().catch(() => {}), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
