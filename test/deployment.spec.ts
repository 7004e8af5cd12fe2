import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

/** The variables the app reads (src/config and the database options). */
const APP_ENV = [
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
  'SEND_RATE_LIMIT',
  'SSE_HEARTBEAT_MS',
  'SSE_RETRY_MS',
  'SSE_STALL_TIMEOUT_MS',
  'TRUST_PROXY',
];

// docker-compose can't run here (no Docker engine); this checks what can be checked.
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  const { services } = compose;

  it('should run MySQL 8, Redis 7, a one-off migration, two app replicas and a proxy', () => {
    expect(Object.keys(services).sort()).toEqual(['app', 'db', 'migrate', 'proxy', 'redis']);
    expect(services.db.image).toMatch(/^mysql:8/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.app.build).toBe('.');
    expect(services.app.deploy?.replicas).toBe(2);
    expect(services.migrate.command).toEqual(['node', 'dist/migrate.js']);
    expect(services.app.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(services.app.environment?.DB_MIGRATIONS_RUN).toBe('false');
  });

  it('should only set variables the app reads, with values its config accepts', () => {
    for (const name of ['app', 'migrate']) {
      const env = services[name].environment ?? {};
      for (const key of Object.keys(env)) {
        expect([name, key, APP_ENV.includes(key)]).toEqual([name, key, true]);
      }
      expect(env.DATABASE_URL).toMatch(/^mysql:\/\/microblog:microblog@db:3306\/microblog$/);
    }
    const env = services.app.environment ?? {};
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(env.NODE_ENV).toBe('production');
    expect(env.JWT_SECRET).toContain('JWT_SECRET:?');
    expect(services.db.environment?.MYSQL_DATABASE).toBe('microblog');
    const source = [
      'src/config/app.config.ts',
      'src/config/auth.config.ts',
      'src/config/database.config.ts',
      'src/database/data-source-options.ts',
      'src/app.module.ts',
      'src/app.setup.ts',
    ]
      .map((file) => readFileSync(join(ROOT, file), 'utf8'))
      .join('\n');
    for (const key of APP_ENV) {
      expect([key, source.includes(key)]).toEqual([key, true]);
    }
  });

  it('should proxy event streams without buffering and with long timeouts', () => {
    const proxy = services.proxy;
    expect(proxy.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    const nginx = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8');
    const sse = /location \/notifications\/stream \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    expect(sse).toContain('proxy_buffering off;');
    expect(sse).toContain('proxy_http_version 1.1;');
    expect(sse).toMatch(/proxy_read_timeout 1h;/);
    expect(nginx).toContain('server app:3000');
  });

  it('should build the image in stages and ship the migration runner', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    expect(readFileSync(join(ROOT, 'src/migrate.ts'), 'utf8')).toContain('runMigrations');
  });
});
