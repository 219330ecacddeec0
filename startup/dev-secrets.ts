import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * On a developer's machine Meridian makes its own keys once, in `.data/dev-secrets.env` (mode
 * 0600, git-ignored), so `npm start` works without setup and history stays decodable across
 * restarts; keys a newer version needs are appended. Variables already set in the environment
 * win. With NODE_ENV=production nothing is made or read: every secret comes from the environment.
 */

export function devSecretsFile(dataDir = process.env.MERIDIAN_DATA_DIR ?? '.data'): string {
  return path.resolve(dataDir, 'dev-secrets.env');
}

const key = () => randomBytes(32).toString('base64');

/** Every development secret Meridian uses, with how to make it. */
export function developmentSecrets(regionNames: readonly string[]): Record<string, () => string> {
  return {
    MERIDIAN_PAYLOAD_KEYS: () => `dev1:${key()}`,
    MERIDIAN_PAYLOAD_KEY_ID: () => 'dev1',
    MERIDIAN_IDENTITY_HMAC_KEY: key,
    MERIDIAN_SIGNING_KEYS: () => `dev1:${key()}`,
    MERIDIAN_ADMIN_TOKENS: () => `${randomBytes(24).toString('base64url')}:*`,
    MERIDIAN_OPERATOR_TOKENS: () => randomBytes(24).toString('base64url'),
    ...Object.fromEntries(regionNames.map((r) => [`MERIDIAN_REGION_KEY_${r.toUpperCase()}`, key])),
  };
}

function readEnvFile(file: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!);
  }
  return values;
}

export function loadDevSecrets({
  create = false,
  regionNames = ['global', 'eu', 'us', 'apac'],
}: {
  create?: boolean;
  regionNames?: readonly string[];
} = {}): { file: string; created: boolean } | undefined {
  if (process.env.NODE_ENV === 'production') return undefined;
  const file = devSecretsFile();
  let created = false;
  if (create) {
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '# Development keys made by Meridian. Never use these in production.\n', { mode: 0o600 });
      created = true;
    }
    const present = readEnvFile(file);
    const missing = Object.entries(developmentSecrets(regionNames)).filter(([name]) => !present.has(name));
    if (missing.length) appendFileSync(file, missing.map(([name, make]) => `${name}=${make()}\n`).join(''));
  }
  if (!existsSync(file)) return undefined;
  // The payload key ID belongs with its keys: keys set in the environment are used whole.
  const keysFromEnv = process.env.MERIDIAN_PAYLOAD_KEYS !== undefined;
  for (const [name, value] of readEnvFile(file)) {
    if (keysFromEnv && name === 'MERIDIAN_PAYLOAD_KEY_ID') continue;
    if (process.env[name] === undefined) process.env[name] = value;
  }
  return { file, created };
}
