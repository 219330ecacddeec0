import { describe, expect, it } from 'vitest';
import {
  isRightToLeft,
  localeFallbackChain,
  parseTemplateRef,
  templateInputSchema,
  variantFor,
} from '../../domain/templates';
import { describeIssues } from '../../domain/validation';
import { checkTemplateVariant, textOfHtml, withDirection } from '../../mail/message-templates';

describe('locale fallback chain', () => {
  it('drops one subtag at a time, then ends at the brand default', () => {
    expect(localeFallbackChain('zh-Hant-HK', 'en')).toEqual(['zh-Hant-HK', 'zh-Hant', 'zh', 'en']);
    expect(localeFallbackChain('pt-BR', 'pt-PT')).toEqual(['pt-BR', 'pt', 'pt-PT']);
    expect(localeFallbackChain('en', 'en')).toEqual(['en']);
  });

  it('canonicalises the person locale and ignores extensions and junk', () => {
    expect(localeFallbackChain('ZH-hant-hk', 'en')).toEqual(['zh-Hant-HK', 'zh-Hant', 'zh', 'en']);
    expect(localeFallbackChain('de-DE-u-ca-gregory', 'en')).toEqual(['de-DE', 'de', 'en']);
    expect(localeFallbackChain('not a locale!', 'fr')).toEqual(['fr']);
    expect(localeFallbackChain(undefined, 'ja')).toEqual(['ja']);
  });

  it('picks the most specific variant the template has', () => {
    const t = {
      defaultLocale: 'en',
      variants: { en: { body: 'Hi' }, zh: { body: '你好' }, 'zh-Hant': { body: '妳好' } },
    };
    expect(variantFor(t, 'zh-Hant-HK').locale).toBe('zh-Hant');
    expect(variantFor(t, 'zh-Hans-CN').locale).toBe('zh');
    expect(variantFor(t, 'fr-FR').locale).toBe('en');
    expect(variantFor(t, undefined).variant.body).toBe('Hi');
  });
});

describe('template schema', () => {
  const email = {
    id: 'welcome',
    brandId: 'default',
    name: 'Welcome',
    channel: 'email',
    defaultLocale: 'en',
    variants: { en: { subject: 'Hi {{ first_name }}', body: '<p>Hi</p>' } },
  };

  it('accepts an email template with a subject per variant', () => {
    expect(templateInputSchema.parse(email).variants.en?.subject).toBe('Hi {{ first_name }}');
  });

  it('names the field and the rule when something is wrong', () => {
    const noSubject = templateInputSchema.safeParse({ ...email, variants: { en: { body: 'x' } } });
    expect(noSubject.success).toBe(false);
    expect(describeIssues(noSubject.error!, 'body')).toContain('variants.en.subject: an email variant needs a subject');
    const noDefault = templateInputSchema.safeParse({ ...email, defaultLocale: 'fr' });
    expect(describeIssues(noDefault.error!, 'body')).toContain(
      'defaultLocale: the brand default locale fr needs a variant',
    );
    const badLocale = templateInputSchema.safeParse({
      ...email,
      variants: { ...email.variants, zh_hk: { subject: 's', body: 'b' } },
    });
    expect(describeIssues(badLocale.error!, 'body')).toMatch(/variants\.zh_hk: .*not a canonical BCP-47 locale/);
    const smsSubject = templateInputSchema.safeParse({ ...email, channel: 'sms' });
    expect(describeIssues(smsSubject.error!, 'body')).toContain('subject and text are for email');
  });

  it('checks Liquid and MJML when saved', async () => {
    expect(await checkTemplateVariant('email', { subject: 'ok', body: '<p>{{ first_name }}</p>' })).toBeUndefined();
    expect(await checkTemplateVariant('email', { subject: 'ok', body: '<p>{% if x %}</p>' })).toMatch(/^Liquid: /);
    expect(
      await checkTemplateVariant('email', {
        subject: 'ok',
        body: '<mjml><mj-body><mj-sectio><mj-column><mj-text>x</mj-text></mj-column></mj-sectio></mj-body></mjml>',
      }),
    ).toMatch(/^MJML: .*mj-sectio/);
  });
});

describe('template references and layout', () => {
  it('reads id and id:vN', () => {
    expect(parseTemplateRef('welcome')).toEqual({ id: 'welcome' });
    expect(parseTemplateRef('welcome:v12')).toEqual({ id: 'welcome', version: 12 });
    expect(parseTemplateRef('welcome:v0')).toBeUndefined();
    expect(parseTemplateRef('Welcome')).toBeUndefined();
  });

  it('knows right-to-left languages and scripts', () => {
    for (const l of ['ar', 'ar-EG', 'he', 'fa-IR', 'ur', 'az-Arab']) expect(isRightToLeft(l), l).toBe(true);
    for (const l of ['en', 'zh-Hant-HK', 'de', 'az-Latn', 'tr']) expect(isRightToLeft(l), l).toBe(false);
  });

  it('sets dir and lang on the document, or wraps a fragment', () => {
    expect(withDirection('<html lang="und"><body><p>x</p></body></html>', 'ar')).toBe(
      '<html lang="ar" dir="rtl"><body dir="rtl"><p>x</p></body></html>',
    );
    expect(withDirection('<p>x</p>', 'he')).toBe('<div lang="he" dir="rtl"><p>x</p></div>');
    expect(withDirection('<p>x</p>', 'en')).toBe('<div lang="en" dir="ltr"><p>x</p></div>');
  });

  it('gives the text of an HTML email', () => {
    expect(textOfHtml('<html><head><style>p{}</style></head><body><p>Hi &amp; bye</p><p>2</p></body></html>')).toBe(
      'Hi & bye\n2',
    );
  });
});
