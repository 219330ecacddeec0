import { describe, expect, it } from 'vitest';
import { copyRow } from '../../db/region-writer';

describe("a row in COPY's text format (the events' COPY)", () => {
  it('separates fields by tabs, ends with a newline and writes null as \\N', () => {
    expect(copyRow(['a', null, ''])).toBe('a\t\\N\t\n');
  });

  it('escapes backslashes, tabs, newlines and carriage returns, so a value never splits a field or a row', () => {
    expect(copyRow(['{"q":"say \\"hi\\""}', 'one\ttwo', 'line\nbreak\r', '\\x00ff'])).toBe(
      '{"q":"say \\\\"hi\\\\""}\tone\\ttwo\tline\\nbreak\\r\t\\\\x00ff\n',
    );
  });

  it('leaves other characters as they are (COPY reads the text as UTF-8)', () => {
    expect(copyRow(['Zoë 🚀 \\N', '\u0001'])).toBe('Zoë 🚀 \\\\N\t\u0001\n');
  });
});
