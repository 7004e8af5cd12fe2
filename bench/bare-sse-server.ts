/**
 * The bare Nest `@Sse` server: the least a Nest 11 app does to serve per-user Server-Sent
 * Events (NestFactory and platform-express, one controller, a Map from user id to subscribers,
 * one shared heartbeat timer; no auth, database, i18n or middleware, and no body parser as no
 * route reads a body). It speaks the floor's HTTP contract (bench/floor-server.ts), so the same
 * load client drives both; the app's figures are reported as ratios to this server (what the
 * app adds to Nest) and to the floor (what Nest and the app add to Node).
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Headers,
  HttpCode,
  Injectable,
  MessageEvent,
  Module,
  OnModuleDestroy,
  Post,
  Query,
  Sse,
  UnauthorizedException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Observable, Subscriber } from 'rxjs';

/** Same interval and slicing as the app: one slice of the streams per 100 ms tick. */
const HEARTBEAT_MS = Number(process.env.SSE_HEARTBEAT_MS ?? 20_000);
const HEARTBEAT_TICK_MS = 100;
/** Comment-only, so Nest adds no id and EventSource fires no event. */
const HEARTBEAT: MessageEvent = { comment: '' };

@Injectable()
class StreamRegistry implements OnModuleDestroy {
  private readonly byUser = new Map<number, Set<Subscriber<MessageEvent>>>();
  private readonly heartbeatSlices: Set<Subscriber<MessageEvent>>[];
  private readonly heartbeatTimer: NodeJS.Timeout;
  private heartbeatTick = 0;
  private nextSlice = 0;
  private nextId = 1;
  open = 0;

  constructor() {
    const slices = Math.max(1, Math.round(HEARTBEAT_MS / HEARTBEAT_TICK_MS));
    this.heartbeatSlices = Array.from({ length: slices }, () => new Set());
    this.heartbeatTimer = setInterval(
      () => this.heartbeatSlices[this.heartbeatTick++ % slices].forEach((s) => s.next(HEARTBEAT)),
      Math.max(10, Math.floor(HEARTBEAT_MS / slices)),
    );
    this.heartbeatTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeatTimer);
  }

  get users(): number {
    return this.byUser.size;
  }

  /** The user's stream: the app's first frame (id and retry, no data), then live events. */
  streamFor(user: number): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      subscriber.next({ id: '0', retry: 3000 });
      const forUser = this.byUser.get(user) ?? new Set();
      this.byUser.set(user, forUser.add(subscriber));
      const slice = this.heartbeatSlices[this.nextSlice++ % this.heartbeatSlices.length];
      slice.add(subscriber);
      this.open++;
      // Nest unsubscribes when the request closes.
      return () => {
        this.open--;
        slice.delete(subscriber);
        forUser.delete(subscriber);
        if (forUser.size === 0) {
          this.byUser.delete(user);
        }
      };
    });
  }

  /** One event object for every target: string data and an explicit id, built once. */
  private event(payload: unknown): MessageEvent {
    return { id: String(this.nextId++), data: JSON.stringify(payload) };
  }

  broadcast(payload: unknown): void {
    const event = this.event(payload);
    for (const forUser of this.byUser.values()) {
      forUser.forEach((s) => s.next(event));
    }
  }

  publish(user: number, payload: unknown): void {
    const event = this.event(payload);
    this.byUser.get(user)?.forEach((s) => s.next(event));
  }
}

@Controller()
class BareSseController {
  constructor(private readonly streams: StreamRegistry) {}

  @Sse('stream')
  stream(@Headers('cookie') cookie?: string): Observable<MessageEvent> {
    const user = Number(/(?:^|; )u=(\d+)/.exec(cookie ?? '')?.[1]);
    if (!user) {
      throw new UnauthorizedException();
    }
    return this.streams.streamFor(user);
  }

  @Post('broadcast')
  @HttpCode(200)
  broadcast(): { users: number } {
    const users = this.streams.users;
    this.streams.broadcast({
      name: 'announcement',
      data: { message: 'hello' },
      timestamp: Date.now() / 1000,
    });
    return { users };
  }

  @Post('publish')
  @HttpCode(200)
  publish(@Query('user') user: string): Record<string, never> {
    this.streams.publish(Number(user), {
      name: 'unread_message_count',
      data: 1,
      timestamp: Date.now() / 1000,
    });
    return {};
  }

  @Get('health')
  health(): { status: string; openStreams: number } {
    return { status: 'ok', openStreams: this.streams.open };
  }
}

@Module({ controllers: [BareSseController], providers: [StreamRegistry] })
class BareSseModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BareSseModule, {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.send?.('listening');
}

void main();
