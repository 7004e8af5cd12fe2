import { DynamicModule, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

/**
 * nestjs-i18n's module without the global interceptor it registers (I18nLanguageInterceptor),
 * which no option turns off. Its middleware runs on every route and sets the request's language
 * (LanguageCookieMiddleware then settles it), so on HTTP the interceptor only passes through;
 * yet as the one global interceptor it makes Nest run an interceptor chain on every request and
 * keep it for as long as a notification stream is open (bench/results/stream-heap.md).
 */
export function withoutI18nInterceptor(module: DynamicModule): DynamicModule {
  return { ...module, providers: module.providers?.filter((p) => !isAppInterceptor(p)) };
}

function isAppInterceptor(provider: Provider): boolean {
  return typeof provider === 'object' && provider.provide === APP_INTERCEPTOR;
}
