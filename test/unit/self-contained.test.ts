import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A plain clone must run alone in its folder: nothing may read the reference shelf next to the
 * repository, at run time or in tests. (The forbidden paths are assembled here so this file does
 * not match itself.)
 */

const ROOT = path.resolve(__dirname, '../..');
const FORBIDDEN = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/')];

describe('the repository is self-contained', () => {
  it('has no file (documentation aside) that refers to a folder outside it', () => {
    // Tracked files and new ones not yet committed (ignored ones, such as node_modules, aside).
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\0')
      .filter((file) => file !== '' && !file.endsWith('.md'));
    expect(files).toContain('package.json');
    const hits: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(path.join(ROOT, file), 'latin1');
      } catch {
        continue; // listed but deleted in the working tree
      }
      text.split('\n').forEach((line, i) => {
        if (FORBIDDEN.some((needle) => line.includes(needle)))
          hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits, 'these lines read outside the repository: ship what they need in it instead').toEqual([]);
  });
});
