import { describe, expect, it } from 'vitest';
import { parseCsvUpload, parseJsonUpload, splitCsvLine, tagChangeSchema, tagInputSchema } from '../../domain/tags';
import { describeIssues } from '../../domain/validation';

const REGIONS = ['eu', 'us', 'apac'];
const firstProblem = (value: unknown) => {
  const parsed = tagInputSchema(REGIONS).safeParse(value);
  return parsed.success ? undefined : describeIssues(parsed.error, 'body', { first: true });
};

describe('tag definitions', () => {
  it('takes a central manual tag and a local rule tag, labels in canonical BCP 47 form', () => {
    const central = tagInputSchema(REGIONS).parse({
      key: 'vip',
      labels: { en: 'VIP', 'zh-hant': '貴賓', 'de-ch': 'VIP-Kunde' },
      owner: 'group',
      source: 'manual',
    });
    expect(central.labels).toEqual({ en: 'VIP', 'zh-Hant': '貴賓', 'de-CH': 'VIP-Kunde' });
    const local = tagInputSchema(REGIONS).parse({
      key: 'eu_lapsed',
      labels: { fr: 'Inactif' },
      owner: 'eu',
      source: 'rule',
      segmentId: 'seg_1',
    });
    expect(local).toMatchObject({ owner: 'eu', source: 'rule', segmentId: 'seg_1' });
  });

  it('names the field and the rule of a bad definition', () => {
    const base = { key: 'vip', labels: { en: 'VIP' }, owner: 'group', source: 'manual' };
    expect(firstProblem({ ...base, key: 'VIP Club' })).toMatch(/^key: must be a slug/);
    expect(firstProblem({ ...base, labels: {} })).toMatch(/^labels: give at least one label/);
    expect(firstProblem({ ...base, labels: { english: 'VIP' } })).toMatch(/^labels\.english: .*BCP 47/);
    expect(firstProblem({ ...base, labels: { en: ' ' } })).toMatch(/^labels\.en: a label must not be empty/);
    expect(firstProblem({ ...base, owner: 'mars' })).toMatch(/^owner: must be "group" .* eu, us, apac/);
    expect(firstProblem({ ...base, source: 'rule' })).toMatch(/^segmentId: a rule tag names its segment/);
    expect(firstProblem({ ...base, source: 'model', model: 'Churn Risk' })).toMatch(/^model: must be a model name/);
    expect(firstProblem({ ...base, source: 'guess' })).toMatch(/^source: must be "rule"/);
    expect(firstProblem({ ...base, colour: 'red' })).toMatch(/colour/);
    expect(firstProblem({ ...base, brandId: 'Not A Slug' })).toMatch(/^brandId: must be a slug/);
  });

  it('refuses an empty change', () => {
    const parsed = tagChangeSchema.safeParse({});
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!, 'body', { first: true })).toMatch(/nothing to change/);
  });
});

describe('manual uploads', () => {
  const ID = '0f8f3b53-6c1e-4c52-9a9e-2a6e5b0c7d11';

  it('splits quoted CSV cells', () => {
    expect(splitCsvLine('"a,b", c ,"say ""hi"""')).toEqual(['a,b', 'c', 'say "hi"']);
    expect(splitCsvLine('"open')).toBeUndefined();
  });

  it('reads a headed CSV, reports bad lines by number without their values, keeps the good ones', () => {
    const csv = [
      'Email,phone,user_id,country',
      'Ana@Example.com,,,',
      ',030 1234567,,DE',
      'not-an-email,,,',
      '',
      ',,,',
      ',0301234567,,',
      'x@example.com,,u-1',
      ',,u-2,',
      '"unterminated,,,',
    ].join('\n');
    const parsed = parseCsvUpload(csv);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.rows.map((r) => r.line)).toEqual([2, 3, 9]);
    expect(parsed.rows[0]!.identifiers).toEqual([{ type: 'email', value: 'ana@example.com' }]);
    expect(parsed.rows[1]!.identifiers).toEqual([{ type: 'phone', value: '+49301234567' }]);
    expect(parsed.rows[2]!.identifiers).toEqual([{ type: 'user_id', value: 'u-2' }]);
    expect(parsed.bad.map((b) => b.line)).toEqual([4, 6, 7, 8, 10]);
    expect(parsed.bad[0]!.reason).toMatch(/^email: /);
    expect(parsed.bad[1]!.reason).toMatch(/^no identifier/);
    expect(parsed.bad[2]!.reason).toMatch(/^phone: /);
    expect(parsed.bad[3]!.reason).toMatch(/has 3 values, the header 4/);
    expect(JSON.stringify(parsed.bad)).not.toMatch(/not-an-email|0301234567|x@example/);
  });

  it('reads a header-less column of customer IDs', () => {
    const parsed = parseCsvUpload(`${ID}\r\n${ID.toUpperCase()}\r\nnope\r\n`);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.rows.map((r) => r.customerId)).toEqual([ID, ID]);
    expect(parsed.bad).toEqual([{ line: 3, reason: 'customerId: is not a customer ID (a UUID)' }]);
  });

  it('refuses an upload it cannot read at all, naming why', () => {
    expect(parseCsvUpload('')).toMatchObject({ ok: false, reason: expect.stringMatching(/^body: the CSV is empty/) });
    expect(parseCsvUpload('email,shoe size\na@b.co,42')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^header: column 2 is not one of/),
    });
    expect(parseJsonUpload({ email: 'a@b.co' })).toMatchObject({ ok: false });
  });

  it('reads a JSON array of IDs and identifier objects', () => {
    const parsed = parseJsonUpload([ID, { email: 'b@example.org' }, { shoe: 1 }, 7, { email: 42 }]);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.rows.map((r) => r.line)).toEqual([1, 2]);
    expect(parsed.bad.map((b) => b.line)).toEqual([3, 4, 5]);
  });
});
