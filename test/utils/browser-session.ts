import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';

/** The CSRF token a rendered form carries. */
export function csrfTokenOf(html: string): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!match) {
    throw new Error('no csrf_token field in the page');
  }
  return match[1];
}

/**
 * A cookie-keeping HTTP client that behaves like a browser tab: it reads the CSRF token from
 * a page before posting a form, as a person's browser would.
 */
export class BrowserSession {
  readonly agent: TestAgent;

  /** Against an app in this process, or a server at a URL (another process). */
  constructor(app: INestApplication | string) {
    this.agent = request.agent(
      (typeof app === 'string' ? app : app.getHttpServer()) as Parameters<typeof request.agent>[0],
    );
  }

  get(path: string) {
    return this.agent.get(path).set('Accept', 'text/html');
  }

  /** GETs `formPage` for a fresh token, then submits `fields` to `action`. */
  async submit(formPage: string, action: string, fields: Record<string, string>) {
    const page = await this.get(formPage);
    return this.agent
      .post(action)
      .set('Accept', 'text/html')
      .type('form')
      .send({ csrf_token: csrfTokenOf(page.text), ...fields });
  }

  async login(username: string, password: string, extra: Record<string, string> = {}) {
    const res = await this.submit('/auth/login', '/auth/login', { username, password, ...extra });
    if (res.status !== 302) {
      throw new Error(`login of ${username} failed with ${res.status}`);
    }
    return res;
  }

  /** The auth cookie of the last login, as a Cookie header value. */
  static authCookieOf(loginResponse: { headers: Record<string, unknown> }): string {
    const cookies = loginResponse.headers['set-cookie'] as string[] | undefined;
    const auth = cookies?.find((c) => c.startsWith('mb_token='));
    if (!auth) {
      throw new Error('the login set no auth cookie');
    }
    return auth.split(';')[0];
  }
}
