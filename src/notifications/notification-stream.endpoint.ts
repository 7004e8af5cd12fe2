import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { AUTH_COOKIE } from '../auth/auth-cookie';
import { AuthService } from '../auth/auth.service';
import { NotificationStreamService, parseLastEventId } from './notification-stream.service';

export const STREAM_PATH = '/notifications/stream';

const AUTH_COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${AUTH_COOKIE}=([^;]+)`);

/** The JWT from the auth cookie (what EventSource sends) or from `Authorization: Bearer`. */
export function streamTokenOf(req: IncomingMessage): string | null {
  const cookie = AUTH_COOKIE_PATTERN.exec(req.headers.cookie ?? '')?.[1];
  if (cookie) {
    try {
      return decodeURIComponent(cookie);
    } catch {
      return null;
    }
  }
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
}

function isStreamRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return req.method === 'GET' && (url === STREAM_PATH || url.startsWith(`${STREAM_PATH}?`));
}

function answerJson(res: ServerResponse, statusCode: number, error: string): void {
  const body = JSON.stringify({ statusCode, message: error, error });
  res.writeHead(statusCode, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/**
 * GET /notifications/stream, answered from the HTTP server's request event before Express.
 * Why: measured with bench/ (README, Performance), a stream opened through Express and Nest
 * keeps everything the pipeline attached to its request alive for as long as it is open
 * (helmet's header block, the router's closures, the i18n context, the loaded user), about
 * 40 KB per idle stream against 4 KB for plain node:http, and the pipeline capped the connect
 * rate. The route checks the JWT exactly as the passport strategies do (AuthService) and
 * hands the response to NotificationStreamService; every other request goes to Express.
 */
@Injectable()
export class NotificationStreamEndpoint implements OnApplicationBootstrap {
  private readonly logger = new Logger(NotificationStreamEndpoint.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly streams: NotificationStreamService,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const others = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (isStreamRequest(req)) {
        void this.serve(req, res);
      } else {
        others.forEach((listener) => listener.call(server, req, res));
      }
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const userId = await this.auth.activeUserIdForToken(streamTokenOf(req));
      if (userId === null) {
        answerJson(res, 401, 'Unauthorized');
        return;
      }
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const lastEventId = parseLastEventId(req.headers['last-event-id'], query.get('lastEventId'));
      this.streams.open(userId, lastEventId, res);
    } catch (error) {
      this.logger.error(error instanceof Error ? error.stack : String(error));
      if (res.headersSent) {
        res.destroy();
      } else {
        answerJson(res, 500, 'Internal Server Error');
      }
    }
  }
}
