/**
 * The floor: the least a Node.js process can do to serve per-user Server-Sent Events (plain
 * node:http, a Map from user id to open responses, bytes serialised once per event). Every
 * figure of the app is reported as a ratio to this server measured in the same run.
 */
import http, { ServerResponse } from 'node:http';

const streams = new Map<number, Set<ServerResponse>>();
let open = 0;
let nextId = 1;

function send(targets: Iterable<ServerResponse>, payload: unknown): void {
  const bytes = Buffer.from(`id: ${nextId++}\ndata: ${JSON.stringify(payload)}\n\n`);
  for (const res of targets) {
    res.write(bytes);
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://floor');
  if (req.method === 'GET' && url.pathname === '/stream') {
    const user = Number(/(?:^|; )u=(\d+)/.exec(req.headers.cookie ?? '')?.[1]);
    if (!user) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    const forUser = streams.get(user) ?? new Set<ServerResponse>();
    streams.set(user, forUser.add(res));
    open++;
    req.on('close', () => {
      open--;
      forUser.delete(res);
      if (forUser.size === 0) {
        streams.delete(user);
      }
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/broadcast') {
    const all = [...streams.values()].flatMap((set) => [...set]);
    send(all, { name: 'announcement', data: { message: 'hello' }, timestamp: Date.now() / 1000 });
    res.end(JSON.stringify({ users: streams.size }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/publish') {
    send(streams.get(Number(url.searchParams.get('user'))) ?? [], {
      name: 'unread_message_count',
      data: 1,
      timestamp: Date.now() / 1000,
    });
    res.end('{}');
    return;
  }
  if (url.pathname === '/health') {
    res.end(JSON.stringify({ status: 'ok', openStreams: open }));
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 0;
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('listening'));
