import { parseArgs } from 'node:util';
import { openGlobalPool } from '../db/connections';
import { createConsoleUser } from '../db/console-users-store';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../db/console-passwords';
import { loadConfig } from '../domain/config';
import { CONSOLE_ROLES, type ConsoleRole, localeTag, timeZoneName } from '../domain/console-access';
import { GLOBAL_REGION } from '../domain/regions';
import { loadDevSecrets } from '../startup/dev-secrets';
import { exitWithError } from '../startup/fatal';

/**
 * Adds a console user from a shell — the way to make the first group admin:
 *   MERIDIAN_CONSOLE_PASSWORD=… npm run console:user -- --email ada@example.com --role group_admin
 *   npm run console:user -- --email ada@example.com --role market_marketer --regions apac < password.txt
 * The password comes from MERIDIAN_CONSOLE_PASSWORD or standard input, never the command line
 * (which other users of the machine can see, and shells keep in history).
 */

const USAGE = `usage: npm run console:user -- --email EMAIL --role ${CONSOLE_ROLES.join('|')} [--name NAME] [--brands a,b|*] [--regions eu,apac|*] [--locale ja] [--time-zone Asia/Tokyo]
  the password: MERIDIAN_CONSOLE_PASSWORD, or standard input`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const list = (value: string | undefined): '*' | string[] =>
  !value || value === '*'
    ? '*'
    : value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      brands: { type: 'string' },
      regions: { type: 'string' },
      locale: { type: 'string' },
      'time-zone': { type: 'string' },
    },
  });
  if (!values.email || !CONSOLE_ROLES.includes(values.role as ConsoleRole)) throw new Error(USAGE);
  const locale = localeTag.parse(values.locale ?? 'en');
  const timeZone = timeZoneName.parse(values['time-zone'] ?? 'UTC');
  const password = process.env.MERIDIAN_CONSOLE_PASSWORD || (await readStdin());
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new Error(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  loadDevSecrets();
  const config = loadConfig();
  const pool = openGlobalPool(config, config.regions.region(GLOBAL_REGION), {
    max: 1,
    applicationName: 'meridian-console-user',
  });
  try {
    const user = await createConsoleUser(pool.sql, {
      email: values.email,
      displayName: values.name ?? values.email.split('@')[0]!,
      passwordHash: await hashPassword(password),
      role: values.role as ConsoleRole,
      brands: list(values.brands),
      regions: list(values.regions),
      locale,
      timeZone,
    });
    console.log(`console user ${user.id} (${user.email}, ${user.role}) created: sign in at /console/`);
  } finally {
    await pool.close();
  }
}

main().catch((error) => exitWithError('console:user', error));
