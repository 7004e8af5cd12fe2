import hbs from 'hbs';
import type { I18nService } from 'nestjs-i18n';
import { registerViewHelpers } from './view-helpers';

describe(registerViewHelpers.name, () => {
  // This test file's own module registry: the helpers land on a fresh hbs.
  const engine = hbs;
  const t = jest.fn((key: string, options: { lang: string }) => `${options.lang}:${key}`);
  registerViewHelpers(engine, { t } as unknown as I18nService);
  const render = (template: string, context: Record<string, unknown>) =>
    engine.handlebars.compile(template)(context);
  const date = new Date(Date.now() - 3 * 60_000);

  it('should format in the page language', () => {
    expect(render('{{fromNow date}}', { i18nLang: 'es', date })).toBe('hace 3 minutos');
    expect(render("{{t 'common.close'}}", { i18nLang: 'ru' })).toBe('ru:common.close');
  });

  it.each(['!', '*', '!!', ['es', 'ru'], { toString: 'x' }])(
    'should use English when the page language is %p',
    (i18nLang) => {
      expect(render('{{fromNow date}}', { i18nLang, date })).toBe('3 minutes ago');
      expect(render('{{longDate date}}', { i18nLang, date: new Date(Date.UTC(2026, 0, 10)) })).toBe(
        'January 10, 2026',
      );
      expect(render("{{t 'common.close'}}", { i18nLang })).toBe('en:common.close');
    },
  );
});
