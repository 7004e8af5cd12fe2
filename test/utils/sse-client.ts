import http from 'node:http';

export interface SseFrame {
  id?: string;
  event?: string;
  retry?: string;
  data?: string;
  comment?: string;
}

export interface StreamedEvent {
  id: string;
  seq: number;
  announcement: number;
  name: string;
  data: unknown;
  timestamp: number;
}

/** A raw Server-Sent Events reader: every frame as it came over the wire. */
export class SseClient {
  readonly frames: SseFrame[] = [];
  /** The server ended the response, or the connection closed. */
  ended = false;
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(
    readonly response: http.IncomingMessage,
    private readonly request: http.ClientRequest,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    const end = () => {
      this.ended = true;
      this.waiters.splice(0).forEach((wake) => wake());
    };
    response.on('end', end);
    response.on('close', end);
  }

  static connect(baseUrl: string, path: string, headers: Record<string, string> = {}) {
    return new Promise<SseClient>((resolve, reject) => {
      const request = http.get(`${baseUrl}${path}`, { headers, agent: false }, (response) =>
        resolve(new SseClient(response, request)),
      );
      request.on('error', reject);
    });
  }

  /**
   * A logged-in browser's notification stream (its auth cookie), resuming after `lastEventId`
   * when given; resolves once the first frame has arrived.
   */
  static async openStream(baseUrl: string, cookie: string, lastEventId = ''): Promise<SseClient> {
    const client = await SseClient.connect(baseUrl, '/notifications/stream', {
      Cookie: cookie,
      ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
    });
    await client.waitFor((c) => c.frames.length >= 1);
    return client;
  }

  /**
   * Data frames, parsed: {id, name, data, timestamp}, with the id (the cursor `seq:announcement`)
   * split into `seq` and `announcement`.
   */
  get events(): StreamedEvent[] {
    return this.parse(this.frames.filter((f) => f.data && f.event === undefined));
  }

  /** The `state` frames a stream starts with (the current value of each name), parsed. */
  get states(): StreamedEvent[] {
    return this.parse(this.frames.filter((f) => f.event === 'state'));
  }

  private parse(frames: SseFrame[]): StreamedEvent[] {
    return frames.map((f) => {
        const [seq, announcement] = (f.id ?? '').split(':').map(Number);
        return {
          id: f.id ?? '',
          seq,
          announcement,
          ...(JSON.parse(f.data as string) as { name: string; data: unknown; timestamp: number }),
        };
      });
  }

  /** The id of the last frame that had one: where a reconnect resumes. */
  get lastEventId(): string {
    return this.frames.filter((f) => f.id !== undefined).at(-1)?.id ?? '';
  }

  async waitFor(predicate: (client: SseClient) => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out; frames so far: ${JSON.stringify(this.frames)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.request.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: SseFrame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          frame.comment = line.slice(1).trim();
        } else if (line) {
          const [field, ...rest] = line.split(': ');
          (frame as Record<string, string>)[field] = rest.join(': ');
        }
      }
      if (block.length > 0) {
        this.frames.push(frame);
      }
    }
    this.waiters.splice(0).forEach((wake) => wake());
  }
}
