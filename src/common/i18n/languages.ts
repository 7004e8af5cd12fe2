export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
  { code: 'ru', name: 'Русский' },
] as const;

export type LanguageCode = (typeof LANGUAGES)[number]['code'];

export const DEFAULT_LANGUAGE: LanguageCode = 'en';

export const LANGUAGE_COOKIE = 'lang';

export function isLanguage(value: unknown): value is LanguageCode {
  return LANGUAGES.some((l) => l.code === value);
}

/** `value` when it is a supported language, else the default: nothing else reaches Intl. */
export function supportedLanguage(value: unknown): LanguageCode {
  return isLanguage(value) ? value : DEFAULT_LANGUAGE;
}
