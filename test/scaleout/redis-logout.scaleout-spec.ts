import { BrowserSession } from '../utils/browser-session';
import { SseClient } from '../utils/sse-client';
import { AppProcess, RedisProcess } from './app-process';
import { PASSWORD, ScaleOutStack, signUp } from './stack';

const HEARTBEAT_MS = 1000;

/**
 * A logout while Redis is down: the session's end can't fan out to the process holding the
 * stream. Once Redis is back that process must end the stream anyway, within a heartbeat
 * interval, and the stream must get nothing of the user's afterwards.
 */
describe('Scale-out: a logout while Redis is down ends the stream on the other process', () => {
  let stack: ScaleOutStack;
  let redis: RedisProcess;
  let p1: AppProcess;
  let p2: AppProcess;
  const open: SseClient[] = [];

  beforeAll(async () => {
    stack = await ScaleOutStack.start();
    redis = stack.redis;
    const env = { SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) };
    [p1, p2] = await Promise.all([stack.startApp(env), stack.startApp(env)]);
  }, 90_000);

  afterAll(async () => {
    open.forEach((c) => c.close());
    await Promise.all([p1?.stop(), p2?.stop()]);
    await stack?.stop();
  });

  const stream = async (app: AppProcess, cookie: string) => {
    const client = await SseClient.connect(app.baseUrl, '/notifications/stream', {
      Cookie: cookie,
    });
    open.push(client);
    expect(client.response.statusCode).toBe(200);
    await client.waitFor((c) => c.frames.length >= 1);
    return client;
  };

  const send = (from: BrowserSession, to: string, message: string) =>
    from.submit(`/send_message/${to}`, `/send_message/${to}`, { message });

  const newMessageIds = (client: SseClient) =>
    client.events.filter((e) => e.name === 'new_message').map((e) => (e.data as { id: number }).id);

  const sessionEnded = (client: SseClient) =>
    client.frames.some((f) => f.event === 'session_ended');

  it('should end the stream within a heartbeat of Redis coming back, and send it nothing after', async () => {
    const alice = await signUp(p1, 'alice');
    const bob = await signUp(p1, 'bob');
    // Bob's other session (his phone), whose stream on process 2 stays open: the marker.
    const phone = new BrowserSession(p2.baseUrl);
    const phoneCookie = BrowserSession.authCookieOf(await phone.login('bob', PASSWORD));

    const laptop = await stream(p2, bob.cookie);
    const other = await stream(p2, phoneCookie);
    // Both processes are on Redis: what process 1 commits reaches process 2's streams.
    expect((await send(alice.session, 'bob', 'before the outage')).status).toBe(302);
    await laptop.waitFor((c) => newMessageIds(c).length === 1, 5000);
    await other.waitFor((c) => newMessageIds(c).length === 1, 5000);

    await redis.stop();
    const logout = await bob.session.submit('/', '/auth/logout', {});
    expect(logout.status).toBe(302);
    const [row] = await stack.sql<{ n: number }[]>(
      'SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ?',
      ['bob'],
    );
    expect(Number(row.n)).toBe(1); // the phone's
    // Process 2 has not heard of it: its fan-out is down.
    expect(sessionEnded(laptop)).toBe(false);

    // Timed from the start of the restart: Redis answers within it, and may end the stream
    // before it returns.
    const back = Date.now();
    await redis.restart();
    await laptop.waitFor((c) => sessionEnded(c), HEARTBEAT_MS);
    expect(Date.now() - back).toBeLessThanOrEqual(HEARTBEAT_MS);
    await laptop.waitFor((c) => c.ended, 1000);
    expect(laptop.frames.filter((f) => f.event === 'session_ended')).toHaveLength(1);

    // A later message to bob reaches his phone's stream (the marker), not the ended one.
    expect((await send(alice.session, 'bob', 'after the logout')).status).toBe(302);
    await other.waitFor((c) => newMessageIds(c).length === 2, 5000);
    const [later] = newMessageIds(other).slice(1);
    expect(newMessageIds(laptop)).not.toContain(later);
    expect(laptop.events.map((e) => e.name)).toEqual(['unread_message_count', 'new_message']);
    expect(sessionEnded(other)).toBe(false);
    expect(other.ended).toBe(false);
    // The logged-out token opens no stream on either process.
    for (const app of [p1, p2]) {
      const refused = await SseClient.connect(app.baseUrl, '/notifications/stream', {
        Cookie: bob.cookie,
      });
      open.push(refused);
      expect(refused.response.statusCode).toBe(401);
    }
  }, 60_000);
});
