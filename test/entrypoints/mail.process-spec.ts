import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { AppProcess, waitUntil } from '../utils/app-process';
import { BrowserSession } from '../utils/browser-session';

/**
 * The built server on the embedded default, as `npm start` runs it with no SMTP_URL: the email a
 * registration sends becomes an .eml file under data/mail/ of the working directory, and the log
 * says where.
 */
describe('node dist/main.js without SMTP_URL', () => {
  let folder: string;
  let app: AppProcess | undefined;

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'microblog-mail-'));
  });

  afterAll(async () => {
    await app?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('should write the confirmation email of a registration as an .eml file under data/mail', async () => {
    const mailDir = join(folder, 'data', 'mail');
    app = await AppProcess.start(
      {
        DATABASE_URL: 'sqlite:data/app.sqlite',
        JWT_SECRET: 'process-test-secret-long-enough-0123456789abcdef',
        // The default folder of the working directory, not the tests' scratch one.
        MAIL_DIR: '',
      },
      { cwd: folder },
    );
    const session = new BrowserSession(app.baseUrl);
    const registered = await session.submit('/auth/register', '/auth/register', {
      username: 'mailbox',
      email: 'mailbox@example.test',
      password: 'correct horse battery staple',
      password2: 'correct horse battery staple',
    });
    expect(registered.status).toBe(302);

    const files = () => {
      try {
        return readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
      } catch {
        return [];
      }
    };
    await waitUntil(() => Promise.resolve(files().length > 0), 'an .eml file', 15_000);
    const [file] = files();
    const mail = await simpleParser(readFileSync(join(mailDir, file)));
    expect(mail.to).toMatchObject({ text: 'mailbox@example.test' });
    expect(mail.text).toContain(`${app.baseUrl}/auth/confirm_email/`);
    expect(app.log).toContain(`written to data/mail/${file}`);
  });
});
