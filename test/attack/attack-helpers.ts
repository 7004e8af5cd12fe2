import { INestApplication } from '@nestjs/common';
import http from 'node:http';
import request from 'supertest';
import { csrfTokenOf } from '../utils/browser-session';

/** The name=value pairs a response sets with Set-Cookie (values as sent, not decoded). */
export function setCookiesOf(res: { headers: Record<string, unknown> }): Record<string, string> {
  const raw = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return Object.fromEntries(
    raw.map((cookie) => {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/** A browser's CSRF identity: its id and token cookies, and the token its forms carry. */
export interface CsrfIdentity {
  /** `mb_sid=...; mb_csrf=...`, to put in a Cookie header. */
  cookie: string;
  token: string;
}

/** The CSRF identity a new browser gets from the login page. */
export async function newCsrfIdentity(app: INestApplication): Promise<CsrfIdentity> {
  const server = app.getHttpServer() as Parameters<typeof request>[0];
  const res = await request(server).get('/auth/login').set('Accept', 'text/html');
  const cookies = setCookiesOf(res);
  if (!cookies.mb_sid || !cookies.mb_csrf) {
    throw new Error(`the login page set no CSRF cookies: ${JSON.stringify(cookies)}`);
  }
  return {
    cookie: `mb_sid=${cookies.mb_sid}; mb_csrf=${cookies.mb_csrf}`,
    token: csrfTokenOf(res.text),
  };
}

/** The claims of a JWT, unverified. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The whole body; for a 200 event stream, what came up to its first frame. */
  body: string;
}

/**
 * One GET on its own connection, with the path sent exactly as given (no encoding). An event
 * stream that is accepted is read up to its first frame and then closed by the client.
 */
export function rawGet(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = http.get(`${baseUrl}${path}`, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      const isStream =
        res.statusCode === 200 &&
        String(res.headers['content-type']).startsWith('text/event-stream');
      const done = () => {
        if (!settled) {
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        }
        req.destroy();
      };
      res.on('data', (chunk: string) => {
        body += chunk;
        if (isStream && body.includes('\n\n')) {
          done();
        }
      });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
}

const HBS_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '`': '&#x60;',
  '=': '&#x3D;',
};

/** Text as Handlebars writes it into a page with {{...}}. */
export function hbsEscape(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => HBS_ESCAPES[c]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until it returns `expected` or the time is up; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await sleep(20);
    value = await read();
  }
  return value;
}
