import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Role, User } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { createTestApp, TestApp } from '../utils/test-app';
import { claimsOf, rawGet } from './attack-helpers';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A JWT with any header and claims, HMAC-signed with `key` as the header's alg says (or not). */
function hmacToken(header: object, claims: object, key: string | Buffer, digest = 'sha256') {
  const signingInput = `${b64(header)}.${b64(claims)}`;
  const signature = createHmac(digest, key).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Where a token is accepted: a page, the JSON feed, the event stream, the API. */
const TARGETS = ['page', 'feed', 'stream', 'api', 'api logout'] as const;
type Target = (typeof TARGETS)[number];
type Via = 'cookie' | 'bearer';

/** How each target refuses a caller without a valid token. */
const REFUSED: Record<Target, string> = {
  page: '302 /auth/login?next=%2Fedit_profile',
  feed: '401',
  stream: '401',
  api: '401',
  'api logout': '401',
};

describe('Attack: forged, stale and junk tokens', () => {
  let t: TestApp;
  let secret: string;
  let admin: User;
  let mallory: User;
  let adminToken: string;
  let malloryToken: string;

  const http = () => request(t.app.getHttpServer());
  const sidOf = (token: string) => claimsOf(token).sid as string;
  const issue = async (user: User) => (await t.app.get(AuthService).issueToken(user, false)).token;

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    secret = process.env.JWT_SECRET as string;
    admin = await createUser(t.app, 'root', { role: Role.Admin });
    mallory = await createUser(t.app, 'mallory');
    adminToken = await issue(admin);
    malloryToken = await issue(mallory);
  });

  afterAll(() => t.close());

  const headersFor = (token: string, via: Via): Record<string, string> =>
    via === 'cookie' ? { Cookie: `mb_token=${token}` } : { Authorization: `Bearer ${token}` };

  /** What `target` answers to `token` sent `via` the cookie or the bearer header. */
  async function answer(target: Target, token: string, via: Via): Promise<string> {
    const headers = headersFor(token, via);
    let res: { status: number; headers: Record<string, unknown> };
    switch (target) {
      case 'page':
        res = await http().get('/edit_profile').set('Accept', 'text/html').set(headers);
        break;
      case 'feed':
        res = await http().get('/notifications?since=0').set(headers);
        break;
      case 'stream':
        res = await rawGet(t.baseUrl, '/notifications/stream', {
          Accept: 'text/event-stream',
          ...headers,
        });
        break;
      case 'api':
        res = await http().get('/api/admin/stats').set(headers);
        break;
      case 'api logout':
        res = await http().post('/api/auth/logout').set(headers);
        break;
    }
    const location = res.headers.location as string | undefined;
    return location ? `${res.status} ${location}` : String(res.status);
  }

  /** The answers of every target to `token`, by cookie and by bearer header. */
  async function answers(token: string) {
    const result: Record<string, string> = {};
    for (const via of ['cookie', 'bearer'] as const) {
      for (const target of TARGETS) {
        result[`${target} by ${via}`] = await answer(target, token, via);
      }
    }
    return result;
  }

  const allRefused = () => {
    const result: Record<string, string> = {};
    for (const via of ['cookie', 'bearer'] as const) {
      for (const target of TARGETS) {
        result[`${target} by ${via}`] = REFUSED[target];
      }
    }
    return result;
  };

  it("should serve an admin's real token (the control: refusals below are the token's doing)", async () => {
    const token = await issue(admin);
    const observed: Record<string, string> = {};
    for (const via of ['cookie', 'bearer'] as const) {
      for (const target of ['page', 'feed', 'stream', 'api'] as const) {
        observed[`${target} by ${via}`] = await answer(target, token, via);
      }
    }
    expect(observed).toEqual({
      'page by cookie': '200',
      'feed by cookie': '200',
      'stream by cookie': '200',
      // The API reads the bearer header only.
      'api by cookie': '401',
      'page by bearer': '200',
      'feed by bearer': '200',
      'stream by bearer': '200',
      'api by bearer': '200',
    });
  });

  /** Forged tokens, most claiming the admin with her live session: accepted, they'd be admin. */
  const forgeries: [string, () => string | Promise<string>][] = [
    [
      'alg none, no signature',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsOf(adminToken))}.`,
    ],
    ['alg None', () => `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claimsOf(adminToken))}.`],
    ['alg NONE', () => `${b64({ alg: 'NONE' })}.${b64(claimsOf(adminToken))}.`],
    [
      'alg none with the real signature kept',
      () => `${b64({ alg: 'none' })}.${b64(claimsOf(adminToken))}.${adminToken.split('.')[2]}`,
    ],
    [
      'HS256 signed with another secret',
      () => hmacToken({ alg: 'HS256', typ: 'JWT' }, claimsOf(adminToken), `${secret}-not`),
    ],
    [
      'HS256 signed with an empty key, kid pointing at /dev/null',
      () => hmacToken({ alg: 'HS256', kid: '../../../../dev/null' }, claimsOf(adminToken), ''),
    ],
    [
      "mallory's claims switched to the admin's, signature kept",
      () => {
        const [header, , signature] = malloryToken.split('.');
        return `${header}.${b64({ ...claimsOf(malloryToken), sub: admin.id })}.${signature}`;
      },
    ],
    ['signature removed', () => adminToken.split('.').slice(0, 2).join('.') + '.'],
    ['a fourth segment', () => `${adminToken}.${adminToken.split('.')[2]}`],
    [
      'RS256 signed with an attacker key',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return jwt.sign(claimsOf(adminToken), privateKey, { algorithm: 'RS256' });
      },
    ],
    [
      'ES256 signed with an attacker key',
      () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return jwt.sign(claimsOf(adminToken), privateKey, { algorithm: 'ES256' });
      },
    ],
    [
      'an RS256 header on an HMAC made with the real secret (algorithm confusion)',
      () => hmacToken({ alg: 'RS256', typ: 'JWT' }, claimsOf(adminToken), secret),
    ],
    [
      'HS384 signed with the real secret',
      () => hmacToken({ alg: 'HS384', typ: 'JWT' }, claimsOf(adminToken), secret, 'sha384'),
    ],
    [
      'HS512 signed with the real secret',
      () => hmacToken({ alg: 'HS512', typ: 'JWT' }, claimsOf(adminToken), secret, 'sha512'),
    ],
    [
      'expired a minute ago (real secret, live session)',
      () =>
        hmacToken(
          { alg: 'HS256' },
          { sub: admin.id, sid: sidOf(adminToken), exp: now() - 60 },
          secret,
        ),
    ],
    [
      'exp as a string',
      () =>
        hmacToken(
          { alg: 'HS256' },
          { sub: admin.id, sid: sidOf(adminToken), exp: String(now() + 3600) },
          secret,
        ),
    ],
    [
      'not valid before an hour from now (nbf)',
      () =>
        hmacToken(
          { alg: 'HS256' },
          { sub: admin.id, sid: sidOf(adminToken), nbf: now() + 3600, exp: now() + 7200 },
          secret,
        ),
    ],
    [
      'no sub',
      () => hmacToken({ alg: 'HS256' }, { sid: sidOf(adminToken), exp: now() + 3600 }, secret),
    ],
    ['no sid', () => hmacToken({ alg: 'HS256' }, { sub: admin.id, exp: now() + 3600 }, secret)],
    [
      "the admin's sub with mallory's live sid",
      () =>
        hmacToken(
          { alg: 'HS256' },
          { sub: admin.id, sid: sidOf(malloryToken), exp: now() + 3600 },
          secret,
        ),
    ],
    [
      'sub as a string',
      () =>
        hmacToken(
          { alg: 'HS256' },
          { sub: String(admin.id), sid: sidOf(adminToken), exp: now() + 3600 },
          secret,
        ),
    ],
    ...(
      [
        ['an array', (id: number) => [id]],
        ['an object', (id: number) => ({ id })],
        ['a fraction', (id: number) => id + 0.5],
        ['negative', (id: number) => -id],
        ['0', () => 0],
        ['past the safe integers', () => 2 ** 53 + 1],
        ['true', () => true],
        ['null', () => null],
      ] as const
    ).map(([label, sub]): [string, () => string] => [
      `sub ${label}`,
      () =>
        hmacToken(
          { alg: 'HS256' },
          { sub: sub(admin.id), sid: sidOf(adminToken), exp: now() + 3600 },
          secret,
        ),
    ]),
    ...[
      123,
      [null],
      { $ne: null },
      "' OR '1'='1",
      "x' UNION SELECT * FROM users --",
      '%',
      '',
      's'.repeat(5000),
    ].map((sid): [string, () => string] => [
      `sid ${JSON.stringify(sid).slice(0, 40)}`,
      () => hmacToken({ alg: 'HS256' }, { sub: admin.id, sid, exp: now() + 3600 }, secret),
    ]),
    [
      'a huge token that still fits in the headers',
      () =>
        `${b64({ alg: 'HS256' })}.${b64({ ...claimsOf(adminToken), pad: 'x'.repeat(9000) })}.${'A'.repeat(43)}`,
    ],
    ['garbage', () => 'not-a-token'],
    ['an empty cookie or "Bearer "', () => ''],
    ['three dots', () => '..'],
    ['non-JSON segments', () => `${Buffer.from('{{{').toString('base64url')}.e30.x`],
  ];

  it.each(forgeries)('should refuse a token with %s everywhere', async (_kind, forge) => {
    const token = await forge();
    expect(await answers(token)).toEqual(allRefused());
  });

  it('should refuse a token bigger than the headers allow with 431, never 500', async () => {
    const token = `${b64({ alg: 'HS256' })}.${b64({ pad: 'x'.repeat(20_000) })}.sig`;
    for (const via of ['cookie', 'bearer'] as const) {
      for (const path of [
        '/edit_profile',
        '/notifications',
        '/notifications/stream',
        '/api/admin/stats',
      ]) {
        const res = await rawGet(t.baseUrl, path, headersFor(token, via));
        expect([via, path, res.status]).toEqual([via, path, 431]);
      }
    }
  });

  it('should refuse a logged-out token everywhere', async () => {
    const server = t.app.getHttpServer();
    const issued = await request(server)
      .post('/api/auth/token')
      .send({ username: 'root', password: DEFAULT_PASSWORD });
    const token = (issued.body as { access_token: string }).access_token;
    expect(await answer('api', token, 'bearer')).toBe('200');
    expect(await answer('api logout', token, 'bearer')).toBe('204');
    expect(await answers(token)).toEqual(allRefused());
  });

  it('should refuse every token of a user an admin disabled', async () => {
    const eve = await createUser(t.app, 'eve', { role: Role.Admin });
    const tokens = [await issue(eve), await issue(eve)];
    expect(await answer('api', tokens[1], 'bearer')).toBe('200');
    const disabled = await request(t.app.getHttpServer())
      .patch(`/api/admin/users/${eve.id}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ disabled: true });
    expect(disabled.status).toBe(200);
    for (const token of tokens) {
      expect(await answers(token)).toEqual(allRefused());
    }
    // A token minted for her after that (a session row made by hand) is refused too.
    expect(await answers(await issue(eve))).toEqual(allRefused());
  });

  it("should leave the admin's last visit as it was after every forgery", async () => {
    const users = t.dataSource.getRepository(User);
    const lastSeen = async () => (await users.findOneByOrFail({ id: admin.id })).lastSeen.getTime();
    // Old enough that any accepted request moves it (it moves at most once a minute).
    await users.update({ id: admin.id }, { lastSeen: new Date(Date.now() - 120_000) });
    const before = await lastSeen();
    for (const [, forge] of forgeries) {
      const token = await forge();
      await http().get('/edit_profile').set('Cookie', `mb_token=${token}`);
      await http().get('/notifications').set('Authorization', `Bearer ${token}`);
    }
    expect(await lastSeen()).toBe(before);
    // The control: a real visit moves it.
    await http()
      .get('/edit_profile')
      .set('Cookie', `mb_token=${await issue(admin)}`);
    expect(await lastSeen()).toBeGreaterThan(before);
  });

  describe('random tokens (property-based)', () => {
    /** Characters a header value may hold; no ";" or "," so a cookie stays one cookie. */
    const headerText = fc.string({
      unit: fc.constantFrom(
        ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/%"\'{}[]:!~ '.split(
          '',
        ),
      ),
      maxLength: 300,
    });
    const json = fc.jsonValue({ maxDepth: 2 });
    const jwtShaped = fc
      .tuple(
        fc.oneof(
          fc.record({
            alg: fc.constantFrom('HS256', 'none', 'HS384', 'RS256', 'ES256', 'PS256', ''),
            typ: fc.constantFrom('JWT', 'x'),
          }),
          json,
        ),
        fc.record(
          {
            sub: fc.oneof(fc.integer(), fc.string(), json),
            sid: fc.oneof(fc.string(), fc.integer(), json),
            exp: fc.oneof(fc.integer(), fc.string()),
            nbf: fc.integer(),
          },
          { requiredKeys: [] },
        ),
        fc.oneof(fc.base64String({ maxLength: 64 }), fc.constant(''), headerText),
      )
      .map(
        ([header, claims, signature]) =>
          `${b64(header)}.${b64(claims)}.${signature.replace(/=+$/, '')}`,
      );
    const signedWithTheSecret = fc
      .record(
        {
          // 1, 2, 3: the ids of real users, with made-up session ids.
          sub: fc.oneof(fc.integer(), fc.constantFrom(1, 2, 3), fc.string(), json),
          sid: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), json),
          exp: fc.integer({ min: now() + 60, max: now() + 86400 }),
        },
        { requiredKeys: ['exp'] },
      )
      .map((claims) =>
        hmacToken({ alg: 'HS256', typ: 'JWT' }, claims, process.env.JWT_SECRET as string),
      );

    const refusedEverywhereCheap = async (token: string) => {
      for (const via of ['cookie', 'bearer'] as const) {
        const feed = await http().get('/notifications').set(headersFor(token, via));
        const page = await http()
          .get('/edit_profile')
          .set('Accept', 'text/html')
          .set(headersFor(token, via));
        const api = await http().get('/api/admin/stats').set(headersFor(token, via));
        if (
          feed.status !== 401 ||
          page.status !== 302 ||
          page.headers.location !== '/auth/login?next=%2Fedit_profile' ||
          api.status !== 401
        ) {
          throw new Error(
            `${via} ${JSON.stringify(token)}: ${feed.status} ${page.status} ${api.status}`,
          );
        }
      }
    };

    it('should refuse any string as a token, never with a 5xx', async () => {
      await fc.assert(fc.asyncProperty(headerText, refusedEverywhereCheap), { numRuns: 100 });
    });

    it('should refuse any JWT-shaped token with a made-up header, claims and signature', async () => {
      await fc.assert(fc.asyncProperty(jwtShaped, refusedEverywhereCheap), { numRuns: 100 });
    });

    it('should refuse correctly signed tokens whose sub and sid are not a live session', async () => {
      await fc.assert(fc.asyncProperty(signedWithTheSecret, refusedEverywhereCheap), {
        numRuns: 100,
      });
    });
  });
});
