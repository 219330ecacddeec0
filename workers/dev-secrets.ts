import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * On a developer's machine Meridian makes its own keys once, in `.data/dev-secrets.env` (mode
 * 0600, git-ignored), so `npm start` works without setup and history stays decodable across
 * restarts. Variables already set in the environment win. With NODE_ENV=production nothing is
 * made or read: every secret must come from the environment.
 */

export function devSecretsFile(dataDir = process.env.MERIDIAN_DATA_DIR ?? '.data'): string {
  return path.resolve(dataDir, 'dev-secrets.env');
}

export function loadDevSecrets(
  { create = false, regionNames = ['global', 'eu', 'us', 'apac'] }: { create?: boolean; regionNames?: readonly string[] } = {},
): { file: string; created: boolean } | undefined {
  if (process.env.NODE_ENV === 'production') return undefined;
  const file = devSecretsFile();
  let created = false;
  if (!existsSync(file)) {
    // Only the supervisor and the migrate command make keys; a lone worker or web server uses what is there.
    if (!create) return undefined;
    const key = () => randomBytes(32).toString('base64');
    const lines = [
      '# Development keys made by Meridian on first start. Never use these in production.',
      `MERIDIAN_PAYLOAD_KEYS=dev1:${key()}`,
      'MERIDIAN_PAYLOAD_KEY_ID=dev1',
      ...regionNames.map((r) => `MERIDIAN_REGION_KEY_${r.toUpperCase()}=${key()}`),
    ];
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    created = true;
  }
  // The payload key ID belongs with its keys: keys set in the environment are used whole.
  const keysFromEnv = process.env.MERIDIAN_PAYLOAD_KEYS !== undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, name, value] = match as unknown as [string, string, string];
    if (keysFromEnv && name === 'MERIDIAN_PAYLOAD_KEY_ID') continue;
    if (process.env[name] === undefined) process.env[name] = value;
  }
  return { file, created };
}
