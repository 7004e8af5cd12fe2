import { ParsedMail, simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerSession } from 'smtp-server';

/** What the test server answers to the next deliveries: accept, or refuse with a code. */
export type SmtpMode = { accept: true } | { accept: false; code: number; message: string };

/**
 * A real SMTP server on a free loopback port (the smtp-server package), for the app to deliver
 * to: every accepted email is parsed with mailparser and kept in `received`, in arrival order.
 * STARTTLS is offered with the package's built-in certificate, as a real server would; the app
 * is given `?tls.rejectUnauthorized=false` in its SMTP_URL to accept it.
 */
export class TestSmtpServer {
  readonly received: ParsedMail[] = [];
  /** Every attempt that reached DATA, refused or not. */
  attempts = 0;
  /** Whether each accepted email came over TLS (STARTTLS), in arrival order. */
  readonly overTls: boolean[] = [];
  mode: SmtpMode = { accept: true };
  private server: SMTPServer | null = null;
  private waiters: (() => void)[] = [];

  private constructor(public port: number) {}

  static async start(port = 0): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(port);
    await smtp.listen();
    return smtp;
  }

  /** SMTP_URL for the app. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}?tls.rejectUnauthorized=false`;
  }

  /** Starts listening (again, on the same port after `stop`). */
  async listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      onData: (stream, session: SMTPServerSession, callback) => {
        void this.onData(stream, session.secure, callback);
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops the connections: the server has gone away. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Resolves once `count` emails have arrived in all (rejects after `timeoutMs`). */
  async waitForCount(count: number, timeoutMs = 15_000): Promise<ParsedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`expected ${count} emails, got ${this.received.length}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  /** The emails to `address`, in arrival order. */
  to(address: string): ParsedMail[] {
    return this.received.filter((mail) =>
      [mail.to]
        .flat()
        .some((to) => to?.value.some((a) => a.address?.toLowerCase() === address.toLowerCase())),
    );
  }

  private async onData(
    stream: NodeJS.ReadableStream,
    secure: boolean,
    callback: (error?: Error | null) => void,
  ): Promise<void> {
    this.attempts += 1;
    const mode = this.mode;
    const parsed = await simpleParser(stream as unknown as import('node:stream').Readable);
    if (!mode.accept) {
      const error = new Error(mode.message) as Error & { responseCode: number };
      error.responseCode = mode.code;
      callback(error);
      return;
    }
    this.received.push(parsed);
    this.overTls.push(secure);
    callback();
    for (const wake of this.waiters.splice(0)) {
      wake();
    }
  }
}

/** The links of an email's text part, in order. */
export function linksIn(mail: ParsedMail): string[] {
  return [...(mail.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map((match) => match[0]);
}

/** A header as it was sent (mailparser turns some, like List-Unsubscribe, into objects). */
export function rawHeader(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((header) => header.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(':') + 1).trim();
}
