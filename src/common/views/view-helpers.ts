import type { HelperOptions } from 'handlebars';
import type hbs from 'hbs';
import type { I18nService } from 'nestjs-i18n';
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

/** Template helpers; every string a helper returns is escaped by Handlebars. */
export function registerViewHelpers(engine: typeof hbs, i18n: I18nService): void {
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
}
