/**
 * A load process: holds many SSE connections (one per user, each from its own source port on
 * its own 127.0.0.x address) and reports when events arrive. Driven over IPC by bench/run.ts;
 * it stops when its parent goes away.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

interface ConnectCommand {
  type: 'connect';
  baseUrl: string;
  path: string;
  clients: { userId: number; cookie: string }[];
  localAddress: string;
  concurrency: number;
}

interface Received {
  userId: number;
  name: string;
  at: number;
}

const now = () => performance.timeOrigin + performance.now();
const requests: http.ClientRequest[] = [];
let received: Received[] = [];
let failures = 0;

function open(command: ConnectCommand, client: ConnectCommand['clients'][number]) {
  return new Promise<void>((resolve) => {
    const req = http.get(
      `${command.baseUrl}${command.path}`,
      { headers: { Cookie: client.cookie }, agent: false, localAddress: command.localAddress },
      (res) => {
        if (res.statusCode !== 200) {
          failures++;
          res.resume();
          resolve();
          return;
        }
        res.setEncoding('utf8');
        let first = true;
        res.on('data', (chunk: string) => {
          if (first) {
            first = false;
            resolve();
          }
          for (const line of chunk.split('\n')) {
            if (line.startsWith('data: {')) {
              const { name } = JSON.parse(line.slice(6)) as { name: string };
              received.push({ userId: client.userId, name, at: now() });
            }
          }
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', () => {
      failures++;
      resolve();
    });
    requests.push(req);
  });
}

async function connectAll(command: ConnectCommand) {
  const started = now();
  let next = 0;
  const worker = async () => {
    while (next < command.clients.length) {
      await open(command, command.clients[next++]);
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  return { started, finished: now(), failures };
}

process.on('message', (message: { type: string } & Partial<ConnectCommand>) => {
  if (message.type === 'connect') {
    void connectAll(message as ConnectCommand).then((result) =>
      process.send?.({ type: 'connected', ...result }),
    );
  } else if (message.type === 'report') {
    process.send?.({ type: 'events', events: received, cpu: process.cpuUsage() });
    received = [];
  } else if (message.type === 'close') {
    requests.forEach((req) => req.destroy());
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

interface PollCommand {
  type: 'poll';
  baseUrl: string;
  clients: { userId: number; cookie: string }[];
  localAddress: string;
  intervalMs: number;
  durationMs: number;
}

/** The tutorial's client: GET /notifications?since= every interval per user, phases spread. */
async function poll(command: PollCommand) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let requestsDone = 0;
  const timers: NodeJS.Timeout[] = [];
  const since = new Map<number, number>();
  const once = (client: PollCommand['clients'][number]) => {
    const req = http.get(
      `${command.baseUrl}/notifications?since=${since.get(client.userId) ?? 0}`,
      {
        headers: { Cookie: client.cookie, Accept: 'application/json' },
        agent,
        localAddress: command.localAddress,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          requestsDone++;
          try {
            for (const n of JSON.parse(body) as { name: string; timestamp: number }[]) {
              since.set(client.userId, n.timestamp);
              received.push({ userId: client.userId, name: n.name, at: now() });
            }
          } catch {
            failures++;
          }
        });
      },
    );
    req.on('error', () => failures++);
  };
  for (const client of command.clients) {
    const phase = Math.random() * command.intervalMs;
    timers.push(
      setTimeout(() => {
        once(client);
        timers.push(setInterval(() => once(client), command.intervalMs));
      }, phase),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, command.durationMs));
  timers.forEach((t) => clearTimeout(t));
  agent.destroy();
  return { requests: requestsDone, failures };
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'poll') {
    void poll(message as PollCommand).then((result) =>
      process.send?.({ type: 'polled', ...result }),
    );
  }
});
