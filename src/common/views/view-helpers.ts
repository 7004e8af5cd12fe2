import type { HelperOptions } from 'handlebars';
import type hbs from 'hbs';
import type { I18nService } from 'nestjs-i18n';
import { relativeTime } from './relative-time';

function langOf(options: HelperOptions): string {
  return (options.data as { root?: { i18nLang?: string } }).root?.i18nLang ?? 'en';
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
