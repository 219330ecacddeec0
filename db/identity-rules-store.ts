import { eq } from 'drizzle-orm';
import type { GlobalDb } from './connections';
import { identityRulesConfig } from './schema/global';
import { DEFAULT_IDENTITY_RULES, IdentityRules, identityRulesSchema } from '../domain/identity-rules';

const WORKSPACE = 'default';

/** The workspace's identity rules, cached and refreshed in the background so the hot path never waits. */
export class IdentityRulesStore {
  private current: IdentityRules = DEFAULT_IDENTITY_RULES;
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: GlobalDb) {}

  get rules(): IdentityRules {
    return this.current;
  }

  async refresh(): Promise<IdentityRules> {
    const [row] = await this.db.select().from(identityRulesConfig).where(eq(identityRulesConfig.workspace, WORKSPACE));
    this.current = row ? identityRulesSchema.parse(row.rules) : DEFAULT_IDENTITY_RULES;
    return this.current;
  }

  start(intervalMs = 10_000): void {
    this.timer = setInterval(() => void this.refresh().catch(() => {}), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async save(rules: IdentityRules): Promise<void> {
    await this.db
      .insert(identityRulesConfig)
      .values({ workspace: WORKSPACE, rules })
      .onConflictDoUpdate({ target: identityRulesConfig.workspace, set: { rules, updatedAt: new Date() } });
    this.current = rules;
  }
}
