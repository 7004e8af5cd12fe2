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

/**
 * The soak's clients (bench/soak.ts): one stream per user, parsed as EventSource does (events
 * may span chunks), each event's id and unread count kept per client; a stream that ends is
 * reopened with Last-Event-ID after a second, as a browser would.
 */
interface SoakConnectCommand {
  type: 'soak-connect';
  baseUrl: string;
  path: string;
  clients: { userId: number; cookie: string }[];
  localAddress: string;
  concurrency: number;
}

interface SoakClient {
  userId: number;
  cookie: string;
  lastEventId?: string;
  ids: Set<string>;
  events: number;
  duplicates: number[];
  lastCount: number | null;
  /** Counts not one above the previous one (a gap or a step back). */
  outOfSequence: number;
  disconnects: number;
  req?: http.ClientRequest;
}

const soakClients: SoakClient[] = [];
/** [userId, unread count, event id, arrival ms] of every unread_message_count event. */
let soakArrivals: [number, number, number, number][] = [];
let soakStopping = false;
let soakFailures = 0;
let soakOpen = 0;

function soakOpenStream(command: SoakConnectCommand, client: SoakClient, onFirst?: () => void) {
  let settled = false;
  const settle = () => {
    if (!settled) {
      settled = true;
      onFirst?.();
    }
  };
  let counted = false;
  let done = false;
  const reopen = () => {
    settle();
    if (done) {
      return;
    }
    done = true;
    if (counted) {
      soakOpen--;
    }
    counted = false;
    if (!soakStopping) {
      client.disconnects++;
      setTimeout(() => soakOpenStream(command, client), 1000);
    }
  };
  const headers: Record<string, string> = { Cookie: client.cookie };
  if (client.lastEventId !== undefined) {
    headers['Last-Event-ID'] = client.lastEventId;
  }
  const req = http.get(
    `${command.baseUrl}${command.path}`,
    { headers, agent: false, localAddress: command.localAddress },
    (res) => {
      if (res.statusCode !== 200) {
        soakFailures++;
        res.resume();
        res.on('close', reopen);
        return;
      }
      soakOpen++;
      counted = true;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        settle();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          soakEvent(client, block);
        }
      });
      res.on('close', reopen);
      res.on('error', () => undefined);
    },
  );
  req.on('error', () => {
    soakFailures++;
    reopen();
  });
  client.req = req;
}

function soakEvent(client: SoakClient, block: string) {
  let id: string | undefined;
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) {
      id = line.slice(4);
    } else if (line.startsWith('data: ')) {
      data += line.slice(6);
    }
  }
  if (id !== undefined) {
    client.lastEventId = id;
  }
  if (!data.startsWith('{') || id === undefined) {
    return;
  }
  const at = now();
  const { name, data: payload } = JSON.parse(data) as { name: string; data: unknown };
  if (name !== 'unread_message_count') {
    return;
  }
  if (client.ids.has(id)) {
    client.duplicates.push(Number(id));
    return;
  }
  client.ids.add(id);
  client.events++;
  const count = Number(payload);
  if (client.lastCount !== null && count !== client.lastCount + 1) {
    client.outOfSequence++;
  }
  client.lastCount = count;
  soakArrivals.push([client.userId, count, Number(id), at]);
}

async function soakConnect(command: SoakConnectCommand) {
  const started = now();
  const clients = command.clients.map((c) => {
    const client: SoakClient = {
      ...c,
      ids: new Set(),
      events: 0,
      duplicates: [],
      lastCount: null,
      outOfSequence: 0,
      disconnects: 0,
    };
    soakClients.push(client);
    return client;
  });
  let next = 0;
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next++];
      await new Promise<void>((resolve) => soakOpenStream(command, client, resolve));
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  return { started, finished: now(), failures: soakFailures, open: soakOpen };
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'soak-connect') {
    void soakConnect(message as SoakConnectCommand).then((result) =>
      process.send?.({ type: 'soak-connected', ...result }),
    );
  } else if (message.type === 'soak-status') {
    process.send?.({
      type: 'soak-status',
      open: soakOpen,
      events: soakClients.reduce((sum, c) => sum + c.events, 0),
      disconnects: soakClients.reduce((sum, c) => sum + c.disconnects, 0),
      failures: soakFailures,
    });
  } else if (message.type === 'soak-report') {
    soakStopping = true;
    process.send?.({
      type: 'soak-report',
      clients: soakClients.map((c) => ({
        userId: c.userId,
        events: c.events,
        duplicates: c.duplicates,
        lastCount: c.lastCount,
        lastEventId: c.lastEventId ?? null,
        outOfSequence: c.outOfSequence,
        disconnects: c.disconnects,
      })),
      arrivals: soakArrivals,
      open: soakOpen,
      failures: soakFailures,
      cpu: process.cpuUsage(),
    });
    soakArrivals = [];
  }
});
