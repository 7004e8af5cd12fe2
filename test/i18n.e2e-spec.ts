import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { createTestApp, TestApp } from './utils/test-app';

describe('Translations (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await createUser(t.app, 'susan');
    await createUser(t.app, 'john');
  });

  afterAll(() => t.close());

  it.each([
    ['es', 'Ingresar', 'Recordarme', 'lang="es"'],
    ['ru', 'Вход', 'Запомнить меня', 'lang="ru"'],
    ['en', 'Sign In', 'Remember Me', 'lang="en"'],
  ])('should render the login page in %s from ?lang=', async (lang, title, remember, htmlLang) => {
    const res = await new BrowserSession(t.app).get(`/auth/login?lang=${lang}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<html ${htmlLang} `);
    expect(res.text).toContain(title);
    expect(res.text).toContain(remember);
  });

  it('should remember the language picked in the footer with a cookie', async () => {
    const browser = new BrowserSession(t.app);
    const picked = await browser.get('/auth/login?lang=ru');
    expect(String(picked.headers['set-cookie'])).toMatch(/lang=ru; Max-Age=31536000/);
    const later = await browser.get('/auth/register');
    expect(later.text).toContain('Повторите пароль');
    expect(later.text).toContain('<strong lang="ru">Русский</strong>');
    expect(later.text).toContain('href="/auth/register?lang=es"');
  });

  it('should follow Accept-Language when nothing else says', async () => {
    const res = await new BrowserSession(t.app)
      .get('/auth/register')
      .set('Accept-Language', 'es-ES,es;q=0.9,en;q=0.5');
    expect(res.text).toContain('Repetir contraseña');
  });

  it('should translate validation errors and flashes', async () => {
    const browser = new BrowserSession(t.app);
    await browser.get('/auth/login?lang=es');
    const res = await browser.submit('/auth/register', '/auth/register', {
      username: '',
      email: 'x',
      password: 'abc',
      password2: 'abd',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Este campo es obligatorio.');
    expect(res.text).toContain('Introduce una dirección de correo válida.');
    expect(res.text).toContain('Al menos 8 caracteres.');

    await browser.login('susan', DEFAULT_PASSWORD);
    await browser.submit('/', '/auth/logout', {});
    const home = await browser.get('/auth/login');
    expect(home.text).toContain('Has cerrado la sesión.');
  });

  it('should render logged-in pages in Russian, dates included', async () => {
    const browser = new BrowserSession(t.app);
    await browser.get('/auth/login?lang=ru');
    await browser.login('susan', DEFAULT_PASSWORD);
    const profile = await browser.get('/user/susan');
    expect(profile.text).toContain('Пользователь: susan');
    expect(profile.text).toContain('Последний визит');
    expect(profile.text).toMatch(/Участник с <time datetime="[^"]+">\d+ [а-я]+ \d{4}/);
    const home = await browser.get('/');
    expect(home.text).toContain('Привет, susan!');
  });

  it.each([
    ['es', 'Enviar mensaje a john', 'Mensajes'],
    ['ru', 'Отправить сообщение для john', 'Сообщения'],
  ])('should render the messaging pages in %s', async (lang, heading, inbox) => {
    const browser = new BrowserSession(t.app);
    await browser.get(`/auth/login?lang=${lang}`);
    await browser.login('susan', DEFAULT_PASSWORD);
    expect((await browser.get('/send_message/john')).text).toContain(heading);
    const sent = await browser.submit('/send_message/john', '/send_message/john', { message: '' });
    expect(sent.status).toBe(400);
    expect((await browser.get('/messages')).text).toContain(`<h1 class="h3 mb-3">${inbox}</h1>`);
  });
});
