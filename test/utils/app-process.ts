import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** The variables the app reads: a child gets only those its test gives it. */
const APP_VARIABLES = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'DATABASE_URL',
  'DB_POOL_SIZE',
  'DB_MIGRATIONS_RUN',
  'REDIS_URL',
  'JWT_SECRET',
  'JWT_EXPIRES_IN',
  'JWT_REMEMBER_EXPIRES_IN',
  'POSTS_PER_PAGE',
  'LOGIN_RATE_LIMIT',
  'REGISTER_RATE_LIMIT',
  'SEND_RATE_LIMIT',
  'SEND_ADDRESS_RATE_LIMIT',
  'API_DOCS',
  'SSE_HEARTBEAT_MS',
  'SSE_RETRY_MS',
  'SSE_STALL_TIMEOUT_MS',
  'SSE_MAX_STREAMS_PER_USER',
  'TRUST_PROXY',
  'PUBLIC_URL',
  'WORKERS',
];
/** Families of them: every rate limit, and the email settings. */
const APP_VARIABLE_FAMILIES = /^([A-Z_]+_RATE_LIMIT|SMTP_\w+|MAIL_\w+|EMAIL_\w+|DIGEST_\w+)$/;

/**
 * The environment for a child process: this one's without the app's variables (e2e specs
 * assign them into process.env) and without npm's script variables, plus `env`.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([key]) =>
      !APP_VARIABLES.includes(key) && !APP_VARIABLE_FAMILIES.test(key) && !/^npm_/i.test(key),
  );
  // Emails a child writes as .eml files (no SMTP_URL) go to a scratch folder, not data/.
  const mailDir = join(tmpdir(), 'microblog-test-mail');
  return { ...Object.fromEntries(inherited), NO_COLOR: '1', MAIL_DIR: mailDir, ...env };
}

/**
 * The app as one process, unless a test asks for a cluster: what most tests start is one
 * server, and `npm start`'s default (a worker per core) is tested on its own.
 */
const ONE_PROCESS = { WORKERS: '1' };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(check()).catch(() => false)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Whether anything answers HTTP on this port's /health. */
export async function healthAnswers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
  } catch {
    return false;
  }
}

/** The production build (dist/main.js) in a process of its own, on a free loopback port. */
export class AppProcess {
  private output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** `env` on top of this process's environment; `cwd` is where `.env` and data/ are looked for. */
  static async start(env: Record<string, string>, options: { cwd?: string } = {}) {
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
      cwd: options.cwd ?? ROOT,
      env: childEnv({ ...ONE_PROCESS, ...env, PORT: String(port), HOST: '127.0.0.1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(child, `http://127.0.0.1:${port}`);
    await waitUntil(() => healthAnswers(port), `app on ${port}`).catch((error: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${error.message}\n${app.output}`);
    });
    return app;
  }

  get log(): string {
    return this.output;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

/**
 * Runs `node dist/<script>.js ...args` from the build to its end, as README tells an operator
 * to; killed (and reported as such) if it runs longer than `timeoutMs`.
 */
export function runBuilt(
  script: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', `${script}.js`), ...args], {
      cwd: options.cwd ?? ROOT,
      env: childEnv({ ...ONE_PROCESS, ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed: still running after ${options.timeoutMs ?? 20_000} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** A stack trace line (`    at fn (file:line:col)`), which an operator-facing error must not show. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
