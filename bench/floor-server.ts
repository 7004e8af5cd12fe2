/**
 * The floor: the least a Node.js process can do to serve per-user Server-Sent Events (plain
 * node:http, a Map from user id to open responses, bytes serialised once per event, heartbeats
 * spread over the interval as the app sends them). Every figure of the app and of the bare
 * `@Sse` server is reported as a ratio to this server measured in the same run.
 */
import http, { ServerResponse } from 'node:http';

const streams = new Map<number, Set<ServerResponse>>();
let open = 0;
let nextId = 1;

/** Same interval and slicing as the app: one slice of the streams per 100 ms tick. */
const HEARTBEAT_MS = Number(process.env.SSE_HEARTBEAT_MS ?? 20_000);
const HEARTBEAT = Buffer.from(':\n\n');
const heartbeatSlices = Array.from(
  { length: Math.max(1, Math.round(HEARTBEAT_MS / 100)) },
  () => new Set<ServerResponse>(),
);
let heartbeatTick = 0;
let nextSlice = 0;
setInterval(
  () =>
    heartbeatSlices[heartbeatTick++ % heartbeatSlices.length].forEach((r) => r.write(HEARTBEAT)),
  Math.max(10, Math.floor(HEARTBEAT_MS / heartbeatSlices.length)),
).unref();

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
    const slice = heartbeatSlices[nextSlice++ % heartbeatSlices.length];
    slice.add(res);
    open++;
    req.on('close', () => {
      open--;
      slice.delete(res);
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
