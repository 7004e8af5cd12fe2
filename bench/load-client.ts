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

/** One request, its whole body read; its time goes into `times` when it answered `expected`. */
async function timedRequest(
  times: number[],
  expected: number,
  url: string,
  init: RequestInit,
): Promise<boolean> {
  const started = now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  if (res.status !== expected) {
    return false;
  }
  times.push(now() - started);
  return true;
}

interface WriteCommand {
  type: 'write';
  baseUrl: string;
  /** One form session per sender (cookies and CSRF token) and whom it writes to. */
  senders: { cookie: string; token: string; recipients: number[] }[];
  durationMs: number;
}

/** Each sender posts the send form back to back until the time is up. */
async function write(command: WriteCommand) {
  const deadline = now() + command.durationMs;
  const times: number[] = [];
  let writeFailures = 0;
  await Promise.all(
    command.senders.map(async (sender, s) => {
      for (let i = 0; now() < deadline; i++) {
        const recipient = sender.recipients[i % sender.recipients.length];
        const sent = await timedRequest(
          times,
          302,
          `${command.baseUrl}/send_message/user${recipient}`,
          {
            method: 'POST',
            headers: { Cookie: sender.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ csrf_token: sender.token, message: `bench ${s}/${i}` }),
            redirect: 'manual',
          },
        );
        if (!sent) {
          writeFailures++;
        }
      }
    }),
  );
  return { times, failures: writeFailures };
}

interface ReadCommand {
  type: 'read';
  baseUrl: string;
  cookies: string[];
  path: string;
  headers?: Record<string, string>;
  durationMs: number;
}

/** Each client GETs `path` back to back until the time is up. */
async function read(command: ReadCommand) {
  const deadline = now() + command.durationMs;
  const times: number[] = [];
  let readFailures = 0;
  await Promise.all(
    command.cookies.map(async (cookie) => {
      while (now() < deadline) {
        const read = await timedRequest(times, 200, `${command.baseUrl}${command.path}`, {
          headers: { Cookie: cookie, ...command.headers },
        });
        if (!read) {
          readFailures++;
        }
      }
    }),
  );
  return { times, failures: readFailures };
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'write') {
    void write(message as WriteCommand).then((result) =>
      process.send?.({ type: 'written', ...result, cpu: process.cpuUsage() }),
    );
  } else if (message.type === 'read') {
    void read(message as ReadCommand).then((result) =>
      process.send?.({ type: 'read', ...result, cpu: process.cpuUsage() }),
    );
  }
});
