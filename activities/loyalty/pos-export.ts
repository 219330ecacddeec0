import { mkdir, open } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConnectorRequestError } from '../../connectors/errors';

/**
 * The file export for a POS (issue 14, "the file export for a POS"): a POS that exchanges files
 * with Meridian (a file-import connector with `loyaltyExportPath`) gets each member's tier and
 * points appended as a CSV line whenever they change, for it to import: `member_id,brand,tier,points,as_of`.
 *
 * A line names the member by their loyalty member ID (what the POS lookup API and the receipt use),
 * never an e-mail, phone or name. The POS keeps the latest line per member (`as_of` orders them), so a
 * retried append that writes the same line twice changes nothing there. The worker writes only inside
 * its export folder (MERIDIAN_EXPORT_DIR), as imports read only inside MERIDIAN_IMPORT_DIR.
 */

export const POS_EXPORT_HEADER = 'member_id,brand,tier,points,as_of\n';

export interface PosLine {
  memberId: string;
  brandId: string;
  tier: string;
  points: number;
  asOf: Date;
}

const csvField = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

export function posLine(line: PosLine): string {
  return `${[line.memberId, line.brandId, line.tier, String(line.points), line.asOf.toISOString()].map(csvField).join(',')}\n`;
}

/** Appends the member's line to the POS's file (header first when the file is new); answers the path written. */
export async function appendPosLine(exportDir: string, path: string, line: PosLine): Promise<string> {
  const folder = resolve(exportDir);
  const target = resolve(path);
  const inside = relative(folder, target);
  if (!isAbsolute(path) || inside === '' || inside.startsWith('..') || isAbsolute(inside))
    throw new ConnectorRequestError(
      `the POS loyalty file ${path} is outside the export folder ${folder} (MERIDIAN_EXPORT_DIR): the worker writes only there; change the connector's loyaltyExportPath`,
      'file',
      400,
      'outside the export folder',
    );
  await mkdir(dirname(target), { recursive: true });
  const file = await open(target, 'a');
  try {
    const { size } = await file.stat();
    await file.write(size === 0 ? POS_EXPORT_HEADER + posLine(line) : posLine(line));
    await file.sync();
  } finally {
    await file.close();
  }
  return target;
}
