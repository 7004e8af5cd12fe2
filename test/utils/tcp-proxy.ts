import { createServer, connect, Server, Socket } from 'node:net';

/**
 * A loopback TCP proxy to a server the test does not own (the shared MariaDB): `cut()` drops
 * every connection and refuses new ones, as a stopped server would; `restore()` lets them in
 * again on the same port.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server;
  private port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = this.createServer();
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.listen(0);
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async cut(): Promise<void> {
    const closed = this.server.listening
      ? new Promise((resolve) => this.server.close(resolve))
      : Promise.resolve();
    this.sockets.forEach((socket) => socket.destroy());
    await closed;
  }

  async restore(): Promise<void> {
    if (this.server.listening) {
      return;
    }
    this.server = this.createServer();
    await this.listen(this.port);
  }

  stop(): Promise<void> {
    return this.cut();
  }

  private createServer(): Server {
    return createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(a);
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
      }
    });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }
}
