import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedFolder, probeAddress } from '../../scripts/embedded-postgres';

/** The embedded PostgreSQL's checks before it starts (the server itself: test/integration/embedded-postgres.test.ts). */

describe('probeAddress', () => {
  it('probes 127.0.0.1:5432, or the port tests give in MERIDIAN_PG_PROBE_PORT', () => {
    expect(probeAddress({})).toEqual({ host: '127.0.0.1', port: 5432 });
    expect(probeAddress({ MERIDIAN_PG_PROBE_PORT: '54999' })).toEqual({ host: '127.0.0.1', port: 54999 });
    expect(() => probeAddress({ MERIDIAN_PG_PROBE_PORT: 'five' })).toThrow(
      'MERIDIAN_PG_PROBE_PORT must be a port number (1-65535), not "five"',
    );
    expect(() => probeAddress({ MERIDIAN_PG_PROBE_PORT: '70000' })).toThrow(/must be a port number/);
  });
});

describe('closedFolder (as root the server runs as OS user postgres, which must reach its folder)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'meridian-closed-'));
    chmodSync(root, 0o755);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const owner = () => statSync(root);
  const stranger = { uid: 54321, gid: 54321 };

  it('finds the first folder on the way that another user may not enter', () => {
    mkdirSync(path.join(root, 'home/ana/project/.data'), { recursive: true });
    chmodSync(path.join(root, 'home/ana'), 0o700);
    expect(closedFolder(path.join(root, 'home/ana/project/.data/pg'), stranger)).toBe(path.join(root, 'home/ana'));
    // Its owner, or a member of its group when the group may enter, gets through.
    expect(
      closedFolder(path.join(root, 'home/ana/project/.data/pg'), { uid: owner().uid, gid: 54321 }),
    ).toBeUndefined();
    chmodSync(path.join(root, 'home/ana'), 0o710);
    expect(
      closedFolder(path.join(root, 'home/ana/project/.data/pg'), { uid: 54321, gid: owner().gid }),
    ).toBeUndefined();
    expect(closedFolder(path.join(root, 'home/ana/project/.data/pg'), stranger)).toBe(path.join(root, 'home/ana'));
  });

  it('passes open folders, and folders not made yet (they are made open)', () => {
    mkdirSync(path.join(root, 'srv/project'), { recursive: true });
    expect(closedFolder(path.join(root, 'srv/project/.data/pg'), stranger)).toBeUndefined();
  });
});
