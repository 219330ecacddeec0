import { getBrand } from '../db/brands-store';
import { openGlobalPool } from '../db/connections';
import { createSource, listSources, rotateWriteKey } from '../db/sources';
import { loadConfig } from '../domain/config';
import { SOURCE_KINDS, SourceKind } from '../domain/sources';
import { GLOBAL_REGION } from '../domain/regions';
import { loadDevSecrets } from '../startup/dev-secrets';
import { exitWithError } from '../startup/fatal';

/**
 * Sources and write keys from a shell (the admin API does the same over HTTP):
 *   npm run sources -- create "Berlin web shop" eu browser
 *   npm run sources -- create "Berlin order service" eu server
 *   npm run sources -- create "Acme outdoor shop" eu browser --brand acme-outdoor
 *   npm run sources -- list
 *   npm run sources -- rotate src_…
 * A write key is printed once, when it is made; Meridian keeps only its hash.
 */

const USAGE =
  'usage: npm run sources -- create NAME REGION browser|server [--brand BRAND] | list | rotate SOURCE_ID\n' +
  '  browser: the key ships in web pages or apps (public); server: the key stays secret on your servers';

async function main(): Promise<void> {
  loadDevSecrets();
  const config = loadConfig();
  const [command, ...rest] = process.argv.slice(2);
  const pool = openGlobalPool(config, config.regions.region(GLOBAL_REGION), {
    max: 1,
    applicationName: 'meridian-sources',
  });
  try {
    switch (command) {
      case 'create': {
        const brandAt = rest.indexOf('--brand');
        const brandId = brandAt >= 0 ? rest[brandAt + 1] : undefined;
        if (brandAt >= 0 && !brandId) throw new Error(`--brand needs a brand ID\n${USAGE}`);
        const [name, region, kind, extra] =
          brandAt >= 0 ? [...rest.slice(0, brandAt), ...rest.slice(brandAt + 2)] : rest;
        if (!name || !region || !SOURCE_KINDS.includes(kind as SourceKind) || extra !== undefined)
          throw new Error(USAGE);
        if (brandId && !(await getBrand(pool.sql, brandId)))
          throw new Error(
            `--brand: no brand "${brandId}": create it with POST /admin/brands, or list them with GET /admin/brands`,
          );
        const dataRegion = config.regions.region(region);
        if (dataRegion.name === GLOBAL_REGION)
          throw new Error('a source belongs to a data region (eu, us, apac …), not global');
        const { source, writeKey } = await createSource(pool.db, {
          name,
          region: dataRegion.name,
          kind: kind as SourceKind,
          ...(brandId ? { brandId } : {}),
        });
        console.log(
          `created ${source.id} "${source.name}" (${source.kind}) in region ${source.region}, brand ${source.brandId}`,
        );
        console.log(`write key (shown once): ${writeKey}`);
        break;
      }
      case 'list':
        for (const s of await listSources(pool.db)) {
          console.log(
            `${s.id}  ${s.region.padEnd(6)} ${s.kind.padEnd(7)} ${s.brandId.padEnd(12)} …${s.writeKeyHint}  ${s.name}${s.rotatedAt ? `  (rotated ${s.rotatedAt.toISOString()})` : ''}`,
          );
        }
        break;
      case 'rotate': {
        const [id] = rest;
        if (!id) throw new Error(USAGE);
        const rotated = await rotateWriteKey(pool.db, id);
        if (!rotated) throw new Error(`no source ${id}: see npm run sources -- list`);
        console.log(`new write key for ${id} (shown once): ${rotated.writeKey}`);
        console.log('the previous key keeps working for 24 hours');
        break;
      }
      default:
        throw new Error(USAGE);
    }
  } finally {
    await pool.close();
  }
}

main().catch((error) => exitWithError('sources', error));
