import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Message } from '../../src/messages/message.entity';
import { Role } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { BrowserSession } from '../utils/browser-session';
import { SseClient, StreamedEvent } from '../utils/sse-client';
import { eventsBeforeMarker } from '../utils/stream-marker';
import { TcpProxy } from '../utils/tcp-proxy';
import { createTestApp, TestApp } from '../utils/test-app';

/**
 * Faults: the database goes away mid-run (its connections cut, new ones refused) and comes
 * back. Pages and the API answer a clear 503, open streams stay up, the app recovers by
 * itself, and nothing accepted before is lost.
 */
describe('Attack: the database goes away and comes back', () => {
  let t: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: 3306 });
    t = await createTestApp(
      { SSE_HEARTBEAT_MS: '100', DB_POOL_SIZE: '4' },
      {
        listen: true,
        databaseUrl: (url) => url.replace(/@[^/]+\//, `@${proxy.address}/`),
      },
    );
  });

  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  it('should answer 503 while it is away, keep streams open, and recover with nothing lost', async () => {
    const server = t.app.getHttpServer();
    const admin = await createUser(t.app, 'root', { role: Role.Admin });
    await createUser(t.app, 'alice');
    await createUser(t.app, 'bob');
    const bearer = `Bearer ${(await t.app.get(AuthService).issueToken(admin, false)).token}`;
    const alice = new BrowserSession(t.app);
    const bob = new BrowserSession(t.app);
    await alice.login('alice', DEFAULT_PASSWORD);
    const bobLogin = await bob.login('bob', DEFAULT_PASSWORD);
    const sendToBob = (message: string) =>
      alice.submit('/send_message/bob', '/send_message/bob', { message });
    expect((await sendToBob('before the outage')).status).toBe(302);
    const bobsCookie = BrowserSession.authCookieOf(bobLogin);
    const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: bobsCookie,
    });
    // A fresh stream: bob's state (one unread message) at his position, after his 2 events.
    await stream.waitFor((s) => s.states.length > 0);
    const before = stream.lastEventId;
    const [seq, announcement] = before.split(':').map(Number);
    expect(seq).toBe(2);
    expect(
      stream.states.filter((e) => e.name === 'unread_message_count').map((e) => [e.id, e.data]),
    ).toEqual([[before, 1]]);
    const formPage = await alice.get('/send_message/bob');

    await proxy.cut();
    const page = await bob.get('/messages');
    const api = await request(server).get('/api/admin/stats').set('Authorization', bearer);
    const feed = await request(server)
      .get('/notifications')
      .set('Cookie', BrowserSession.authCookieOf(bobLogin));
    const send = await alice.agent
      .post('/send_message/bob')
      .type('form')
      .send({
        csrf_token: /name="csrf_token" value="([^"]+)"/.exec(formPage.text)?.[1],
        message: 'x',
      });
    for (const res of [page, api, feed, send]) {
      expect([res.status, res.headers['retry-after']]).toEqual([503, '5']);
      expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
    }
    expect(api.body).toEqual({
      statusCode: 503,
      message: expect.stringContaining('unavailable'),
      error: 'Service Unavailable',
    });
    // The stream stays open through the outage: heartbeats keep coming, nothing else does.
    const framesAtCut = stream.frames.length;
    const heartbeatsAfter = () =>
      stream.frames.slice(framesAtCut).filter((f) => f.comment !== undefined).length;
    await stream.waitFor((s) => s.ended || heartbeatsAfter() >= 5, 3000);
    expect(stream.ended).toBe(false);
    expect(stream.frames.slice(framesAtCut).filter((f) => f.comment === undefined)).toEqual([]);

    await proxy.restore();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await bob.get('/explore').catch(() => ({ status: 0 }))).status;
      if (status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(status).toBe(200);
    expect((await sendToBob('after the outage')).status).toBe(302);
    const messages = await t.dataSource.getRepository(Message).find({ order: { id: 'ASC' } });
    expect(messages.map((m) => m.body)).toEqual(['before the outage', 'after the outage']);
    const after = messages[1];
    /** The events of the send after the outage, numbered right after bob's position. */
    const afterTheOutage = [
      [`${seq + 1}:${announcement}`, 'unread_message_count', 2],
      [`${seq + 2}:${announcement}`, 'new_message', { id: after.id, peer: 'alice' }],
    ];
    const named = (events: StreamedEvent[]) => events.map((e) => [e.id, e.name, e.data]);

    // The stream that stayed open gets them live; a client that resumes from where it stood
    // before the outage gets them too: the refused send left nothing in bob's log.
    const resumed = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: bobsCookie,
      'Last-Event-ID': before,
    });
    const [live, replayed] = await eventsBeforeMarker(t.app, stream, resumed);
    expect(named(live)).toEqual(afterTheOutage);
    expect(named(replayed)).toEqual(afterTheOutage);
    expect(resumed.frames.filter((f) => f.event === 'reset')).toEqual([]);
    stream.close();
    resumed.close();
  });
});
