import { ApplicationConfig } from '@nestjs/core';
import request from 'supertest';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser } from './factories/user.factory';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * The language of errors the notification routes' handlers throw, with no global interceptor:
 * nestjs-i18n's middleware decides it on every route (the stream's too, which the app's own
 * language middleware leaves out), and the exception filter translates with it.
 */
describe('Notification routes in the request language (e2e)', () => {
  let t: TestApp;
  let ann: User;
  let cookie: string;

  beforeAll(async () => {
    t = await createTestApp();
    ann = await createUser(t.app, 'ann');
    cookie = await authCookieFor(t.app, ann);
  });

  afterAll(() => t.close());

  it('should run no global interceptor on any route', () => {
    const config = t.app.get(ApplicationConfig);
    expect(config.getGlobalInterceptors()).toHaveLength(0);
    expect(config.getGlobalRequestInterceptors()).toHaveLength(0);
  });

  it.each([
    ['/notifications', 'ru', 'Эта страница принадлежит другому пользователю. Перезагрузите её.'],
    ['/notifications/stream', 'es', 'Esta página pertenece a otro usuario. Vuelve a cargarla.'],
    ['/notifications/stream', 'en', 'This page belongs to another user. Please reload it.'],
  ])('should answer %s for another user in %s from Accept-Language', async (path, lang, text) => {
    const res = await request(t.app.getHttpServer())
      .get(`${path}?uid=${ann.id + 1}`)
      .set('Cookie', cookie)
      .set('Accept-Language', lang);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, message: text, error: 'Conflict' });
  });

  it('should take the stream language from ?lang= before Accept-Language', async () => {
    const res = await request(t.app.getHttpServer())
      .get(`/notifications/stream?uid=${ann.id + 1}&lang=ru`)
      .set('Cookie', cookie)
      .set('Accept-Language', 'es');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      message: 'Эта страница принадлежит другому пользователю. Перезагрузите её.',
    });
  });
});
