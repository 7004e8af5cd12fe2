import hbs from 'hbs';
import type { I18nService } from 'nestjs-i18n';
import {
  badgeCount,
  charactersLeft,
  errorList,
  pluralText,
  registerViewHelpers,
} from './view-helpers';

const RU_UNREAD = {
  zero: 'Нет непрочитанных сообщений',
  one: '{count} непрочитанное сообщение',
  few: '{count} непрочитанных сообщения',
  many: '{count} непрочитанных сообщений',
  other: '{count} непрочитанного сообщения',
};
const EN_UNREAD = {
  zero: 'No unread messages',
  one: '{count} unread message',
  other: '{count} unread messages',
};

describe(registerViewHelpers.name, () => {
  // This test file's own module registry: the helpers land on a fresh hbs.
  const engine = hbs;
  // Plural keys come back as the object of their forms, as nestjs-i18n returns them without args.
  const plurals: Record<string, Record<string, object>> = {
    'common.unread_messages': { en: EN_UNREAD, ru: RU_UNREAD },
    'common.characters_left': { en: { one: '{count} character left', other: '{count} left' } },
    'common.characters_over': { en: { one: '{count} too many', other: '{count} too many!' } },
    'common.quote': { en: { one: 'a "{count}" <b>', other: '{count} & more' } },
  };
  const t = jest.fn(
    (key: string, options: { lang: string }) =>
      plurals[key]?.[options.lang] ?? `${options.lang}:${key}`,
  );
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

  it('should render the plural form of the page language', () => {
    const unread = (i18nLang: string, n: unknown) =>
      render("{{plural 'common.unread_messages' n}}", { i18nLang, n });
    expect(unread('ru', 3)).toBe('3 непрочитанных сообщения');
    expect(unread('ru', 5)).toBe('5 непрочитанных сообщений');
    expect(unread('ru', 21)).toBe('21 непрочитанное сообщение');
    expect(unread('en', 1)).toBe('1 unread message');
    expect(unread('en', 0)).toBe('No unread messages');
    expect(unread('en', undefined)).toBe('No unread messages');
  });

  it('should render every plural form as escaped data attributes', () => {
    expect(render("<b {{pluralData 'common.unread_messages'}}>", { i18nLang: 'ru' })).toBe(
      '<b data-zero="Нет непрочитанных сообщений" data-one="{count} непрочитанное сообщение" ' +
        'data-few="{count} непрочитанных сообщения" data-many="{count} непрочитанных сообщений" ' +
        'data-other="{count} непрочитанного сообщения">',
    );
    expect(render("<b {{pluralData 'common.quote' prefix='left'}}>", { i18nLang: 'en' })).toBe(
      '<b data-left-one="a &quot;{count}&quot; &lt;b&gt;" data-left-other="{count} &amp; more">',
    );
  });

  it('should show 99+ above 99 in {{badgeCount}}', () => {
    expect(render('{{badgeCount n}}', { n: 150 })).toBe('99+');
    expect(render('{{badgeCount n}}', { n: 7 })).toBe('7');
  });

  it('should render a post body as HTML with links to the mentioned users', () => {
    const body = '<b>hi</b> @alice\nhttps://x.com';
    expect(render('{{postBody body users}}', { body, users: new Map([['alice', 'Alice']]) })).toBe(
      '&lt;b&gt;hi&lt;/b&gt; <a href="/user/Alice" class="mention" data-user-card="Alice">' +
        '@alice</a><br><a href="https://x.com" rel="nofollow noopener ugc" target="_blank">' +
        'https://x.com</a>',
    );
    expect(render('{{postBody body}}', { body: '@alice <i>' })).toBe('@alice &lt;i&gt;');
    expect(render('{{postBody body}}', {})).toBe('');
  });

  it('should tell whether a form has errors', () => {
    const has = (context: Record<string, unknown>) =>
      render('{{#if (hasErrors errors formError)}}yes{{else}}no{{/if}}', context);
    expect(has({})).toBe('no');
    expect(has({ errors: {} })).toBe('no');
    expect(has({ errors: {}, formError: 'auth.invalid_credentials' })).toBe('yes');
    expect(has({ errors: { username: { key: 'validation.required' } } })).toBe('yes');
    expect(render('{{#if (hasErrors errors)}}yes{{else}}no{{/if}}', { errors: {} })).toBe('no');
  });

  it('should say how many characters are left, or how many are too many', () => {
    expect(render('{{charCount value 140}}', { i18nLang: 'en', value: 'abc' })).toBe('137 left');
    expect(render('{{charCount value 3}}', { i18nLang: 'en', value: 'ab' })).toBe(
      '1 character left',
    );
    expect(render('{{charCount value 1}}', { i18nLang: 'en', value: 'abc' })).toBe('2 too many!');
    expect(render('{{charCount value 5}}', { i18nLang: 'en' })).toBe('5 left');
  });
});

describe(badgeCount.name, () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [99, '99'],
    [100, '99+'],
    [150, '99+'],
    ['12', '12'],
    [undefined, '0'],
    ['junk', '0'],
  ])('should show %p as %p', (n, shown) => {
    expect(badgeCount(n)).toBe(shown);
  });
});

describe(pluralText.name, () => {
  it.each([
    [1, '1 непрочитанное сообщение'],
    [3, '3 непрочитанных сообщения'],
    [4, '4 непрочитанных сообщения'],
    [5, '5 непрочитанных сообщений'],
    [11, '11 непрочитанных сообщений'],
    [21, '21 непрочитанное сообщение'],
    [22, '22 непрочитанных сообщения'],
    [150, '150 непрочитанных сообщений'],
    [0, 'Нет непрочитанных сообщений'],
  ])('should choose the Russian form for %p', (n, text) => {
    expect(pluralText(RU_UNREAD, n, 'ru')).toBe(text);
  });

  it('should use the category form at 0 when there is no zero form', () => {
    const { zero: _zero, ...forms } = RU_UNREAD;
    expect(pluralText(forms, 0, 'ru')).toBe('0 непрочитанных сообщений');
    expect(pluralText({ one: '{count} item', other: '{count} items' }, 0, 'en')).toBe('0 items');
  });

  it('should fall back to other when the language has no such form', () => {
    // Spanish counts 1,000,000 as "many"; a translation without that form uses "other".
    expect(pluralText({ one: '{count} mensaje', other: '{count} mensajes' }, 1e6, 'es')).toBe(
      '1000000 mensajes',
    );
  });

  it('should fill in every {count}', () => {
    expect(pluralText({ other: '{count} of {count}' }, 2, 'en')).toBe('2 of 2');
  });
});

describe(errorList.name, () => {
  const errors = {
    password: { key: 'validation.too_short', args: { min: 8 } },
    username: { key: 'validation.required' },
    extra: { key: 'validation.invalid' },
  };

  it('should list the errors in form order, then the fields not listed', () => {
    expect(errorList(errors, 'username email password')).toEqual([
      { name: 'username', key: 'validation.required', args: undefined },
      { name: 'password', key: 'validation.too_short', args: { min: 8 } },
      { name: 'extra', key: 'validation.invalid', args: undefined },
    ]);
  });

  it('should keep the order of the errors without a field list', () => {
    expect(errorList(errors, undefined).map((e) => e.name)).toEqual([
      'password',
      'username',
      'extra',
    ]);
  });

  it.each([undefined, null, 'text', 3])('should list nothing for %p', (value) => {
    expect(errorList(value, 'username')).toEqual([]);
  });
});

describe(charactersLeft.name, () => {
  it('should count visible characters of the trimmed text, as the server validates', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(charactersLeft(`  ${family}жé\r\n`, 140)).toBe(137);
    expect(charactersLeft('a\r\nb', 3)).toBe(0);
    expect(charactersLeft('abcd', 3)).toBe(-1);
    expect(charactersLeft(undefined, 140)).toBe(140);
  });
});
