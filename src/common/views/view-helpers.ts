import type { HelperOptions } from 'handlebars';
import type hbs from 'hbs';
import type { I18nService } from 'nestjs-i18n';
import { renderPostBody } from '../../posts/post-text';
import { trimText } from '../forms/clean-text';
import { visibleLength } from '../forms/text-length';
import { LanguageCode, supportedLanguage } from '../i18n/languages';
import { relativeTime } from './relative-time';

/**
 * The page's language, always a supported one: the root context can fall back to
 * app.locals.i18nLang, which nestjs-i18n fills from the raw ?lang= of whatever request came last.
 */
function langOf(options: HelperOptions): LanguageCode {
  return supportedLanguage((options.data as { root?: { i18nLang?: unknown } }).root?.i18nLang);
}

function toDate(value: unknown): Date | null {
  const date = value instanceof Date ? value : new Date(value as string);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A count as a whole number; anything else (undefined, garbage) counts as 0. */
function toCount(value: unknown): number {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : 0;
}

/** The plural categories of Intl.PluralRules, the keys a plural translation may have. */
export const PLURAL_FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;

export type PluralForms = Partial<Record<(typeof PLURAL_FORMS)[number], string>>;

/** Above this a badge shows "99+"; the exact number stays in its data-count and live region. */
export const BADGE_MAX = 99;

/** The number a badge or a title shows: "150" becomes "99+". */
export function badgeCount(value: unknown): string {
  const n = toCount(value);
  return n > BADGE_MAX ? `${BADGE_MAX}+` : String(n);
}

/**
 * The form of a plural translation for `count` in `lang`, with {count} filled in: `zero` when
 * the translation has one and count is 0 (a sentence such as "No unread messages"), else the
 * language's category (Russian: one / few / many), else `other`. public/js/notifications.js
 * and public/js/forms.js choose the same way in the browser.
 */
export function pluralText(forms: PluralForms, count: number, lang: string): string {
  const category = new Intl.PluralRules(lang).select(count);
  const template =
    (count === 0 ? forms.zero : undefined) ??
    forms[category] ??
    forms.other ??
    Object.values(forms)[0] ??
    '';
  return template.replaceAll('{count}', String(count));
}

/**
 * Field errors in form order: the names in `fields` (space-separated) that have an error, then
 * any other field with an error, so that no error is left out of the summary.
 */
export function errorList(
  errors: unknown,
  fields: unknown,
): { name: string; key: string; args?: unknown }[] {
  if (!errors || typeof errors !== 'object') {
    return [];
  }
  const byField = errors as Record<string, { key: string; args?: unknown } | undefined>;
  const order = typeof fields === 'string' ? fields.split(/\s+/).filter(Boolean) : [];
  const names = [...new Set([...order, ...Object.keys(byField)])];
  return names.flatMap((name) => {
    const error = byField[name];
    return error?.key ? [{ name, key: error.key, args: error.args }] : [];
  });
}

/** Characters left in a text field as the server counts them: visible characters, trimmed. */
export function charactersLeft(value: unknown, max: number): number {
  const text = trimText(typeof value === 'string' ? value : '') as string;
  return max - visibleLength(text);
}

/** Template helpers; every string a helper returns is escaped by Handlebars. */
export function registerViewHelpers(engine: typeof hbs, i18n: I18nService): void {
  const pluralForms = (key: string, lang: LanguageCode): PluralForms => {
    // Without args nestjs-i18n returns a plural translation as the object of its forms.
    const forms: unknown = i18n.t(key, { lang });
    return forms && typeof forms === 'object' ? forms : { other: String(forms) };
  };

  // {{t 'users.member_since' date=...}} or {{t key args}} where args is an object.
  engine.registerHelper('t', (key: string, ...rest: unknown[]) => {
    const options = rest.pop() as HelperOptions;
    const args = (rest[0] as Record<string, unknown> | undefined) ?? options.hash;
    return i18n.t(key, { lang: langOf(options), args });
  });
  engine.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // {{setTitle 'messages.inbox_title'}} in a view names the page in the layout's <title>: the
  // view is rendered before the layout, with the same locals.
  engine.registerHelper('setTitle', (key: string, options: HelperOptions) => {
    const root = (options.data as { root: Record<string, unknown> }).root;
    root.pageTitle = i18n.t(key, { lang: langOf(options), args: options.hash });
    return '';
  });
  engine.registerHelper('fromNow', (value: unknown, options: HelperOptions) => {
    const date = toDate(value);
    return date ? relativeTime(date, langOf(options)) : '';
  });
  engine.registerHelper('isoDate', (value: unknown) => toDate(value)?.toISOString() ?? '');
  engine.registerHelper('longDate', (value: unknown, options: HelperOptions) => {
    const date = toDate(value);
    return date
      ? new Intl.DateTimeFormat(langOf(options), { dateStyle: 'long', timeZone: 'UTC' }).format(
          date,
        )
      : '';
  });
  // {{postBody body mentionMap highlight}}: the post as HTML, with links to the users in
  // mentionMap and the words in the highlight set marked. An argument left out is Handlebars'
  // options object or undefined, hence the instanceof checks.
  engine.registerHelper('postBody', (body: unknown, mentionMap: unknown, highlight: unknown) => {
    const users = mentionMap instanceof Map ? (mentionMap as Map<string, string>) : new Map();
    const marked = highlight instanceof Set ? (highlight as Set<string>) : undefined;
    const text = typeof body === 'string' ? body : '';
    return new engine.handlebars.SafeString(renderPostBody(text, users, marked));
  });
  // {{badgeCount unreadMessageCount}}: "3", or "99+" above 99.
  engine.registerHelper('badgeCount', (value: unknown) => badgeCount(value));
  // {{plural 'common.unread_messages' count}}: "3 unread messages" in the page's language.
  // Other arguments fill their own placeholders: {{plural 'x' n username=name}} -> {username}.
  engine.registerHelper('plural', (key: string, count: unknown, options: HelperOptions) => {
    const lang = langOf(options);
    const text = pluralText(pluralForms(key, lang), toCount(count), lang);
    return Object.entries(options.hash as Record<string, unknown>).reduce(
      (filled, [name, value]) => filled.split(`{${name}}`).join(String(value)),
      text,
    );
  });
  // {{titleCount unreadMessageCount unseenNotifications}}: the count in the page's <title>.
  engine.registerHelper('titleCount', (...args: unknown[]) =>
    args.slice(0, -1).reduce<number>((sum, value) => sum + toCount(value), 0),
  );
  // {{pluralData 'common.unread_messages'}} (or prefix='left'): every form of a plural
  // translation as data-<form> (data-left-<form>) attributes, {count} kept, for scripts.
  engine.registerHelper('pluralData', (key: string, options: HelperOptions) => {
    const prefix = typeof options.hash.prefix === 'string' ? `${options.hash.prefix}-` : '';
    const forms = pluralForms(key, langOf(options));
    const attributes = PLURAL_FORMS.filter((form) => forms[form] !== undefined).map(
      (form) => `data-${prefix}${form}="${engine.handlebars.escapeExpression(forms[form] ?? '')}"`,
    );
    return new engine.handlebars.SafeString(attributes.join(' '));
  });
  // {{#if (hasErrors errors formError)}}: a form-wide error, or at least one field error.
  engine.registerHelper('hasErrors', (...args: unknown[]) => {
    const [errors, formError] = args.slice(0, -1);
    return Boolean(formError) || errorList(errors, '').length > 0;
  });
  // {{#each (errorList errors 'username password')}} -> {name, key, args} in form order.
  engine.registerHelper('errorList', (...args: unknown[]) => {
    const [errors, fields] = args.slice(0, -1);
    return errorList(errors, fields);
  });
  // {{charCount value 140}}: "140 characters left" or "3 characters too many", as the
  // server counts (see forms.js for the live counter).
  engine.registerHelper('charCount', (value: unknown, max: unknown, options: HelperOptions) => {
    const lang = langOf(options);
    const left = charactersLeft(value, toCount(max));
    return left < 0
      ? pluralText(pluralForms('common.characters_over', lang), -left, lang)
      : pluralText(pluralForms('common.characters_left', lang), left, lang);
  });
}
