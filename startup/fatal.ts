import { ConfigError } from '../domain/config';
import { RegionConfigError } from '../domain/regions';
import { describePostgresError } from '../db/connections';
import { KeyError } from '../db/crypto-shredding';
import { TemporalUnreachableError } from '../temporal/connection';

/** Errors whose message already says what is wrong and what to do. */
const SELF_EXPLAINING = [ConfigError, RegionConfigError, TemporalUnreachableError, KeyError];

/** One line for a person: what is wrong and what to do. Stack traces only with DEBUG set. */
export function explainStartupError(error: unknown): string {
  if (SELF_EXPLAINING.some((type) => error instanceof type)) return (error as Error).message;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (/^[0-9A-Z]{5}$/.test(code) || /^E[A-Z]+$/.test(code) || code === 'CONNECT_TIMEOUT')
  ) {
    if (code === 'EADDRINUSE') {
      const e = error as { address?: string; port?: number };
      return `port ${e.port} on ${e.address} is already taken: stop whatever uses it, or choose another port (see README, Configuration)`;
    }
    return describePostgresError(error, process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432');
  }
  return error instanceof Error ? error.message : String(error);
}

/** Prints the one line and exits non-zero. */
export function exitWithError(program: string, error: unknown): never {
  console.error(`${program}: ${explainStartupError(error)}`);
  if (process.env.DEBUG) console.error(error);
  process.exit(1);
}
