import { SseClient } from '../utils/sse-client';
import { AppProcess } from './app-process';
import { ScaleOutStack, sendLoad, signUp } from './stack';

const RECIPIENTS = ['r1', 'r2', 'r3', 'r4'];

/**
 * A process killed (SIGKILL) while sends are under way and streams are open on it: every send
 * that was accepted is stored, and every client, resuming by Last-Event-ID on the process left
 * and then on the restarted one, converges to the database's count.
 */
describe('Scale-out: SIGKILL of a process under load', () => {
  let stack: ScaleOutStack;
  let p1: AppProcess;
  let p2: AppProcess;
  const open: SseClient[] = [];
  const sql = <T>(query: string, params: unknown[] = []) => stack.sql<T>(query, params);

  const connect = async (app: AppProcess, cookie: string, lastEventId = '') => {
    const client = await SseClient.openStream(app.baseUrl, cookie, lastEventId);
    open.push(client);
    return client;
  };
  const lastEvent = (clients: SseClient[]) =>
    clients
      .flatMap((c) => c.events)
      .filter((e) => e.name === 'unread_message_count')
      .sort((a, b) => a.seq - b.seq)
      .at(-1);

  beforeAll(async () => {
    stack = await ScaleOutStack.start();
    [p1, p2] = await Promise.all([stack.startApp(), stack.startApp()]);
  }, 90_000);

  afterAll(async () => {
    open.forEach((c) => c.close());
    await Promise.all([p1?.stop(), p2?.stop()]);
    await stack?.stop();
  });

  it('should store every accepted send and bring every badge to the database count', async () => {
    const cookies = new Map<string, string>();
    for (const name of RECIPIENTS) {
      cookies.set(name, (await signUp(p1, name)).cookie);
    }
    const senders = await Promise.all(
      ['s1', 's2', 's3'].map(async (name) => {
        return (await signUp(p1, name)).session;
      }),
    );
    // Each recipient's stream on the process that will be killed.
    const streams = new Map<string, SseClient[]>();
    for (const name of RECIPIENTS) {
      streams.set(name, [await connect(p2, cookies.get(name) as string)]);
    }

    const { accepted, stop } = sendLoad(senders, RECIPIENTS);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await p2.stop('SIGKILL');
    // The load balancer sends the browsers to the process left, each resuming after its last id.
    for (const name of RECIPIENTS) {
      const seen = lastEvent(streams.get(name) ?? [])?.id ?? '';
      streams.get(name)?.push(await connect(p1, cookies.get(name) as string, seen));
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
    p2 = await stack.startApp();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stop();

    expect(accepted.length).toBeGreaterThan(20);
    const stored = await sql<{ body: string }[]>('SELECT body FROM messages');
    const bodies = new Set(stored.map((row) => row.body));
    expect(accepted.filter((body) => !bodies.has(body))).toEqual([]);
    for (const name of RECIPIENTS) {
      const [{ n }] = await sql<{ n: number }[]>(
        'SELECT COUNT(*) AS n FROM messages m JOIN users u ON u.id = m.recipient_id WHERE u.username = ?',
        [name],
      );
      const clients = streams.get(name) ?? [];
      await clients[clients.length - 1].waitFor(() => lastEvent(clients)?.data === Number(n), 5000);
      // No id twice on one connection.
      for (const client of clients) {
        const ids = client.events.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
      }
    }
  });
});
