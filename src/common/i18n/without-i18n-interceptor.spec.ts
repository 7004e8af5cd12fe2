import { APP_INTERCEPTOR } from '@nestjs/core';
import { I18nLanguageInterceptor, I18nMiddleware, I18nModule, I18nService } from 'nestjs-i18n';
import { withoutI18nInterceptor } from './without-i18n-interceptor';

describe(withoutI18nInterceptor.name, () => {
  const i18n = () =>
    I18nModule.forRoot({ fallbackLanguage: 'en', loaderOptions: { path: __dirname } });

  it('should drop the global interceptor nestjs-i18n registers', () => {
    expect(i18n().providers).toContainEqual({
      provide: APP_INTERCEPTOR,
      useClass: I18nLanguageInterceptor,
    });

    const sut = withoutI18nInterceptor(i18n());

    expect(sut.providers).not.toContainEqual(expect.objectContaining({ provide: APP_INTERCEPTOR }));
  });

  it('should keep everything else of the module, the middleware and the service included', () => {
    const module = i18n();
    const sut = withoutI18nInterceptor(module);

    expect(sut.module).toBe(module.module);
    expect(sut.exports).toBe(module.exports);
    expect(sut.providers).toHaveLength((module.providers?.length ?? 0) - 1);
    expect(sut.providers).toEqual(expect.arrayContaining([I18nMiddleware, I18nService]));
  });
});
