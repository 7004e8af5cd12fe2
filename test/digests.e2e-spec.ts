import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { SETTLE_MS } from '../src/digests/digest-content';
import { DigestsService } from '../src/digests/digests.service';
import { UnsubscribeLinks, UnsubscribeScope } from '../src/digests/unsubscribe-links';
import { BlocksService } from '../src/blocks/blocks.service';
import { ReadMarksService } from '../src/conversations/read-marks.service';
import { FollowsService } from '../src/follows/follows.service';
import { MailSender } from '../src/mail/mail-sender.service';
import { OutboundEmail } from '../src/mail/outbound-email.entity';
import { MessagesService } from '../src/messages/messages.service';
import { NotificationCenterService } from '../src/notifications/notification-center.service';
import { NotificationsService } from '../src/notifications/notifications.service';
import { PostsService } from '../src/posts/posts.service';
import { User } from '../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { decodeHtml } from './utils/html';
import { linksIn, TestSmtpServer } from './utils/smtp';
import { createTestApp, TestApp } from './utils/test-app';

const PUBLIC_URL = 'http://mail.microblog.test';
const HOUR = 3_600_000;
const ALL_EMAIL_OFF = {
  emailFollows: false,
  emailMentions: false,
  emailMessages: false,
  emailAnnouncements: false,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A header line as it was sent (mailparser makes objects of the List-* headers). */
function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(':') + 1).trim();
}

/** The href of every link in an HTML part, as a browser reads them. */
function hrefsIn(html: string): string[] {
  return [...html.matchAll(/<a href="([^"]*)"/g)].map((m) => decodeHtml(m[1]));
}

/** Text with the lines of the text part joined, for readable comparisons. */
const lines = (mail: ParsedMail) => (mail.text ?? '').split('\n');

/**
 * Digest emails, end to end: the real app delivering to a real SMTP server. Runs are driven
 * by calling the digest run with the clock of the moment (the app's own timer is set to an
 * hour), and "away for a while" is a last_seen stored two hours back; the two-process test
 * (test/scaleout/digests.scaleout-spec.ts) uses the real timer.
 */
describe('Notification email digests (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let alice: User;
  let bob: User;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      MAIL_POLL_MS: '200',
      MAIL_RETRY_BASE_MS: '200',
      MAIL_FROM: 'Microblog <digest@microblog.test>',
      PUBLIC_URL,
      EMAIL_DIGEST_AFTER: '1h',
      DIGEST_TICK_MS: String(HOUR),
    });
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  beforeEach(async () => {
    [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => createUser(t.app, name)));
  });

  afterEach(async () => {
    // Nothing of this test is still on its way when the next one starts.
    await t.app.get(MailSender).idle();
    await t.dataSource.createQueryBuilder().delete().from(OutboundEmail).execute();
    await clearDatabase(t.dataSource);
    smtp.received.splice(0);
  });

  const users = () => t.dataSource.getRepository(User);
  const reload = (user: User) => users().findOneByOrFail({ id: user.id });
  const queuedFor = (user: User) =>
    t.dataSource.getRepository(OutboundEmail).findBy({ userId: user.id });

  /** A user away for two hours, with a confirmed address (and `changes`). */
  async function awayUser(name: string, changes: Partial<User> = {}): Promise<User> {
    const user = await createUser(t.app, name);
    await users().update(
      { id: user.id },
      {
        lastSeen: new Date(Date.now() - 2 * HOUR),
        emailConfirmedAt: new Date(Date.now() - 24 * HOUR),
        ...changes,
      },
    );
    return reload(user);
  }

  /** A message, stamped apart from the next one. */
  async function send(from: User, to: User, body: string): Promise<void> {
    await t.app.get(MessagesService).send(from, to, body);
    await sleep(3);
  }

  /**
   * One digest run whose cutoff is this moment (everything stored so far has settled); what
   * happens after it is stamped after the cutoff.
   */
  async function run(): Promise<number> {
    const queued = await t.app.get(DigestsService).runOnce(new Date(Date.now() + SETTLE_MS));
    await sleep(3);
    return queued;
  }

  /** The period is over: the last digest and the last visit are stored two periods back. */
  const periodPasses = (user: User) =>
    users().update(
      { id: user.id },
      { digestSentAt: new Date(Date.now() - 2 * HOUR), lastSeen: new Date(Date.now() - 2 * HOUR) },
    );

  const tokenFor = (user: User, scope: UnsubscribeScope = 'all') =>
    t.app.get(UnsubscribeLinks).token({ userId: user.id, scope });

  /**
   * No new digest for `user`: a run queues only a marker user's digest, and once the marker's
   * email has arrived, nothing more has come for `user`.
   */
  async function expectNoDigestFor(user: User): Promise<void> {
    const queuedBefore = (await queuedFor(user)).length;
    const receivedBefore = smtp.to(user.email).length;
    const marker = await awayUser(`marker${Date.now() % 100000}`);
    await send(alice, marker, 'marker');
    const arrived = smtp.received.length;
    expect(await run()).toBe(1);
    await smtp.waitForCount(arrived + 1);
    expect(smtp.to(marker.email)).toHaveLength(1);
    expect(smtp.to(user.email)).toHaveLength(receivedBefore);
    await expect(queuedFor(user)).resolves.toHaveLength(queuedBefore);
  }

  it('should send one digest: subject, both bodies, the unsubscribe headers, and links that work', async () => {
    const [dave, erin] = await Promise.all(['dave', 'erin'].map((name) => createUser(t.app, name)));
    const carol = await awayUser('carol', { emailFollows: true, emailAnnouncements: true });
    await send(alice, carol, 'Hello carol');
    await send(alice, carol, 'Are you there?');
    await send(bob, carol, 'Hi from bob');
    await t.app.get(FollowsService).follow(dave, carol);
    await t.app.get(PostsService).create(erin, '<script>alert(1)</script> hi @carol & co');
    await t.app
      .get(NotificationsService)
      .announce('announcement', { text: 'Down at <b>22:00</b>' });

    expect(await run()).toBe(1);
    const [mail] = await smtp.waitForCount(1);

    expect(mail.subject).toBe('3 new messages from bob and alice, and 3 notifications');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : mail.to).toBe('carol@example.com');
    expect(mail.from?.value).toEqual([{ address: 'digest@microblog.test', name: 'Microblog' }]);
    const unsubscribeUrl = `${PUBLIC_URL}/unsubscribe/${tokenFor(carol)}`;
    expect(header(mail, 'List-Unsubscribe')).toBe(`<${unsubscribeUrl}>`);
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

    expect(lines(mail)).toEqual([
      'Hi carol,',
      '',
      'Here is what happened while you were away.',
      '',
      '3 new messages',
      `- 1 from bob: ${PUBLIC_URL}/conversations/bob`,
      `- 2 from alice: ${PUBLIC_URL}/conversations/alice`,
      `All your conversations: ${PUBLIC_URL}/conversations`,
      '',
      '1 new follower',
      'dave followed you.',
      `- dave: ${PUBLIC_URL}/user/dave`,
      `All your followers: ${PUBLIC_URL}/user/carol/followers`,
      '',
      '1 mention',
      '- erin mentioned you:',
      // Plain text: nothing escaped, nothing to escape.
      '  <script>alert(1)</script> hi @carol & co',
      `  ${PUBLIC_URL}/user/erin`,
      '',
      '1 announcement',
      '- Down at <b>22:00</b>',
      '',
      `Your notifications: ${PUBLIC_URL}/notifications/center`,
      '',
      '-- ',
      'You get this email because carol chose notification emails. Turn them off on the settings page or with the unsubscribe link.',
      `Choose what you get by email: ${PUBLIC_URL}/edit_profile#notification-preferences`,
      `Unsubscribe from these emails: ${unsubscribeUrl}?lang=en`,
      '',
    ]);

    // The HTML part: the same links, the user's text escaped, the subject as its title.
    const html = mail.html as string;
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<title>3 new messages from bob and alice, and 3 notifications</title>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; hi @carol &amp; co');
    expect(html).toContain('Down at &lt;b&gt;22:00&lt;/b&gt;');
    expect(html).not.toMatch(/<script|<b>/);
    expect(hrefsIn(html)).toEqual(linksIn(mail));

    // Every link, followed through the app by carol's browser.
    const browser = new BrowserSession(t.app);
    await browser.login('carol', DEFAULT_PASSWORD);
    const pages: Record<string, number> = {};
    for (const link of linksIn(mail)) {
      expect(link.startsWith(`${PUBLIC_URL}/`)).toBe(true);
      const url = new URL(link);
      pages[url.pathname] = (await browser.get(url.pathname + url.search)).status;
    }
    expect(pages).toEqual({
      '/conversations/bob': 200,
      '/conversations/alice': 200,
      '/conversations': 200,
      '/user/dave': 200,
      '/user/carol/followers': 200,
      '/user/erin': 200,
      '/notifications/center': 200,
      '/edit_profile': 200,
      [`/unsubscribe/${tokenFor(carol)}`]: 200,
    });
    expect((await browser.get('/conversations/alice')).text).toContain('Are you there?');
    expect((await browser.get('/user/carol/followers')).text).toContain('/user/dave');
    // Opening the unsubscribe page changed nothing: only its button does.
    await expect(reload(carol)).resolves.toMatchObject({
      emailFollows: true,
      emailMentions: true,
      emailMessages: true,
      emailAnnouncements: true,
    });

    const stored = await reload(carol);
    expect(stored.digestSentAt).not.toBeNull();
    expect(stored.digestedUntil).not.toBeNull();
    await expect(queuedFor(carol)).resolves.toMatchObject([{ kind: 'digest', status: 'sent' }]);
  });

  it.each([
    ['en', [['alice', 1]], '1 new message from alice'],
    ['en', [['alice', 2]], '2 new messages from alice'],
    ['es', [['alice', 1]], '1 mensaje nuevo de alice'],
    [
      'es',
      [
        ['alice', 1],
        ['bob', 4],
      ],
      '5 mensajes nuevos de bob y alice',
    ],
    ['ru', [['alice', 1]], '1 новое сообщение от alice'],
    [
      'ru',
      [
        ['alice', 2],
        ['bob', 1],
      ],
      '3 новых сообщения от bob и alice',
    ],
    ['ru', [['alice', 5]], '5 новых сообщений от alice'],
  ] as const)(
    'should write the digest in the language of the user (%s): %j -> "%s"',
    async (lang, counts, subject) => {
      const reader = await awayUser('reader', { language: lang });
      const senders: Record<string, User> = { alice, bob };
      for (const [name, count] of counts) {
        for (let i = 0; i < count; i++) {
          await send(senders[name], reader, `${name} ${i}`);
        }
      }
      expect(await run()).toBe(1);
      const [mail] = await smtp.waitForCount(1);
      expect(mail.subject).toBe(subject);
      expect(mail.html).toContain(`<html lang="${lang}">`);
      expect(mail.html).toContain(`<title>${subject}</title>`);
      expect(lines(mail)[0]).toBe(
        { en: 'Hi reader,', es: 'Hola, reader:', ru: 'Здравствуйте, reader!' }[lang],
      );
      expect(linksIn(mail).at(-1)).toMatch(new RegExp(`\\?lang=${lang}$`));
    },
  );

  it('should count notifications in the subject in the plural forms of the language', async () => {
    const ru = await awayUser('ru_reader', { language: 'ru', emailFollows: true });
    const es = await awayUser('es_reader', { language: 'es', emailFollows: true });
    const followers = await Promise.all(
      ['f1', 'f2', 'f3', 'f4', 'f5'].map((name) => createUser(t.app, name)),
    );
    for (const follower of followers) {
      await t.app.get(FollowsService).follow(follower, ru);
      await sleep(3);
    }
    await t.app.get(FollowsService).follow(followers[0], es);
    await send(alice, es, 'hola');
    expect(await run()).toBe(2);
    await smtp.waitForCount(2);
    const [ruMail] = smtp.to(ru.email);
    const [esMail] = smtp.to(es.email);
    expect(ruMail.subject).toBe('5 новых уведомлений');
    expect(lines(ruMail)).toContain('5 новых подписчиков');
    // The newest two by name, the rest counted.
    expect(lines(ruMail)).toContain('f5, f4 и ещё 3 подписались на вас.');
    expect(esMail.subject).toBe('1 mensaje nuevo de alice y 1 notificación');
    expect(lines(esMail)).toContain('f1 empezó a seguirte.');
  });

  describe('nothing is sent', () => {
    it('to an address that is not confirmed', async () => {
      const carol = await awayUser('carol', { emailConfirmedAt: null });
      await send(alice, carol, 'unconfirmed');
      await expectNoDigestFor(carol);
    });

    it('to a disabled account', async () => {
      const carol = await awayUser('carol', { disabled: true });
      await send(alice, carol, 'disabled');
      await expectNoDigestFor(carol);
    });

    it('to a user seen within the period', async () => {
      const carol = await awayUser('carol', { lastSeen: new Date(Date.now() - HOUR / 2) });
      await send(alice, carol, 'seen recently');
      await expectNoDigestFor(carol);
    });

    it('about messages read before the run (opening the conversation)', async () => {
      const carol = await awayUser('carol');
      await send(alice, carol, 'read me');
      const browser = new BrowserSession(t.app);
      await browser.login('carol', DEFAULT_PASSWORD);
      expect((await browser.get('/conversations/alice')).status).toBe(200);
      await periodPasses(carol);
      await expectNoDigestFor(carol);
    });

    it('about notifications seen in the center before the run', async () => {
      const carol = await awayUser('carol', { emailFollows: true });
      await t.app.get(FollowsService).follow(bob, carol);
      await t.app.get(PostsService).create(bob, 'hello @carol');
      await t.app.get(NotificationCenterService).markSeen(carol);
      await expectNoDigestFor(carol);
    });

    it('about messages from someone the user blocked', async () => {
      const carol = await awayUser('carol');
      await send(alice, carol, 'before the block');
      await t.app.get(BlocksService).block(carol, alice);
      await expectNoDigestFor(carol);
    });

    it('about kinds the user gets in the app only', async () => {
      const carol = await awayUser('carol', { ...ALL_EMAIL_OFF, emailAnnouncements: false });
      await send(alice, carol, 'message');
      await t.app.get(FollowsService).follow(bob, carol);
      await t.app.get(PostsService).create(bob, 'hello @carol');
      await t.app.get(NotificationsService).announce('announcement', { text: 'news' });
      await expectNoDigestFor(carol);
    });

    it('about kinds that do not reach the center, even when chosen by email', async () => {
      const carol = await awayUser('carol', {
        ...ALL_EMAIL_OFF,
        emailFollows: true,
        notifyFollows: false,
      });
      await t.app.get(FollowsService).follow(bob, carol);
      await expectNoDigestFor(carol);
    });

    it('twice within a period, whatever arrives in between', async () => {
      const carol = await awayUser('carol');
      await send(alice, carol, 'first');
      expect(await run()).toBe(1);
      await smtp.waitForCount(1);
      await send(bob, carol, 'second, within the period');
      await expectNoDigestFor(carol);
      expect(smtp.to(carol.email)).toHaveLength(1);
    });

    it('about items the last two seconds brought (they wait for the next run)', async () => {
      const carol = await awayUser('carol');
      await send(alice, carol, 'just now');
      await expect(t.app.get(DigestsService).runOnce(new Date())).resolves.toBe(0);
      await expect(queuedFor(carol)).resolves.toEqual([]);
      // The next run takes it.
      expect(await run()).toBe(1);
      await expect(queuedFor(carol)).resolves.toHaveLength(1);
      await smtp.waitForCount(1);
    });
  });

  it('should never tell of the same items twice: a later digest lists only what came after', async () => {
    const carol = await awayUser('carol');
    await send(alice, carol, 'old, never read');
    expect(await run()).toBe(1);
    const [first] = await smtp.waitForCount(1);
    expect(first.subject).toBe('1 new message from alice');

    // A period later, alice's message still unread and nothing new: no digest.
    await periodPasses(carol);
    await expect(t.app.get(DigestsService).runOnce(new Date(Date.now() + SETTLE_MS))).resolves.toBe(
      0,
    );

    // Something new: the next digest is about it alone.
    await send(bob, carol, 'new');
    await periodPasses(carol);
    expect(await run()).toBe(1);
    const [, second] = await smtp.waitForCount(2);
    expect(second.subject).toBe('1 new message from bob');
    expect(second.text).not.toContain('/conversations/alice');
    expect(smtp.to(carol.email)).toHaveLength(2);
  });

  it('should leave read messages out and tell of the unread ones', async () => {
    const carol = await awayUser('carol');
    await send(alice, carol, 'read');
    await send(bob, carol, 'unread');
    await t.app.get(ReadMarksService).markRead(carol, alice);
    expect(await run()).toBe(1);
    const [mail] = await smtp.waitForCount(1);
    expect(mail.subject).toBe('1 new message from bob');
  });

  describe('unsubscribe', () => {
    const http = () => request(t.app.getHttpServer());
    const oneClick = (path: string) =>
      http().post(path).type('form').send('List-Unsubscribe=One-Click');

    it('should unsubscribe with the one-click POST of the List-Unsubscribe link, without cookies', async () => {
      const carol = await awayUser('carol', { emailFollows: true, emailAnnouncements: true });
      await send(alice, carol, 'hello');
      expect(await run()).toBe(1);
      const [mail] = await smtp.waitForCount(1);
      const url = new URL((header(mail, 'List-Unsubscribe') ?? '').replace(/^<|>$/g, ''));

      // A GET (a scanner, a link preview) shows the question and changes nothing.
      const page = await http().get(url.pathname).set('Accept', 'text/html');
      expect(page.status).toBe(200);
      expect(decodeHtml(page.text)).toContain('Stop all notification emails?');
      expect(page.text).toContain(`<form method="post" action="${url.pathname}"`);
      await expect(reload(carol)).resolves.toMatchObject({ emailMessages: true });

      // The mail client's POST: no cookies, no CSRF token.
      const res = await oneClick(url.pathname);
      expect(res.status).toBe(200);
      expect(decodeHtml(res.text)).toContain("You won't get these emails any more.");
      expect(res.text).toContain('href="/edit_profile#notification-preferences"');
      await expect(reload(carol)).resolves.toMatchObject(ALL_EMAIL_OFF);

      // And no digest comes any more.
      await send(bob, carol, 'after unsubscribing');
      await periodPasses(carol);
      await expectNoDigestFor(carol);
    });

    it("should work from the page's button, in the language of the link", async () => {
      const carol = await awayUser('carol');
      const browser = new BrowserSession(t.app);
      const path = `/unsubscribe/${tokenFor(carol)}`;
      const page = await browser.get(`${path}?lang=es`);
      expect(decodeHtml(page.text)).toContain(
        '¿Dejar de recibir todos los correos de notificaciones?',
      );
      const res = await browser.agent
        .post(path)
        .set('Accept', 'text/html')
        .type('form')
        .send({ 'List-Unsubscribe': 'One-Click' });
      expect(res.status).toBe(200);
      expect(decodeHtml(res.text)).toContain('Ya no recibirás estos correos.');
      await expect(reload(carol)).resolves.toMatchObject(ALL_EMAIL_OFF);
    });

    it('should turn off only the kind a link of one kind names', async () => {
      const carol = await awayUser('carol', { emailFollows: true, emailAnnouncements: true });
      const path = `/unsubscribe/${tokenFor(carol, 'messages')}`;
      const page = await http().get(path).set('Accept', 'text/html');
      expect(decodeHtml(page.text)).toContain('Stop emails about private messages?');
      const res = await oneClick(path);
      expect(decodeHtml(res.text)).toContain(
        "You won't get emails about private messages any more.",
      );
      await expect(reload(carol)).resolves.toMatchObject({
        emailFollows: true,
        emailMentions: true,
        emailMessages: false,
        emailAnnouncements: true,
      });
    });

    it('should refuse a forged or altered link with 400, changing nothing', async () => {
      const carol = await awayUser('carol');
      const token = tokenFor(carol);
      const bobs = tokenFor(bob);
      const forged = [
        token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        `${bob.id}${token.slice(token.indexOf('.'))}`,
        `${carol.id}${bobs.slice(bobs.indexOf('.'))}`,
        token.replace('.all.', '.messages.'),
        `${carol.id}.all`,
        'not-a-token',
      ];
      const outcomes = [];
      for (const bad of forged) {
        const path = `/unsubscribe/${encodeURIComponent(bad)}`;
        const get = await http().get(path).set('Accept', 'text/html');
        const post = await oneClick(path).set('Accept', 'text/html');
        outcomes.push([bad, get.status, post.status, decodeHtml(post.text).includes('not valid')]);
      }
      expect(outcomes).toEqual(forged.map((bad) => [bad, 400, 400, true]));
      await expect(reload(carol)).resolves.toMatchObject({
        emailMessages: true,
        emailMentions: true,
      });
      await expect(reload(bob)).resolves.toMatchObject({
        emailMessages: true,
        emailMentions: true,
      });
    });

    it('should answer a disabled or deleted account with the same page, and no error', async () => {
      const carol = await awayUser('carol', { disabled: true });
      const dave = await createUser(t.app, 'dave');
      const davesPath = `/unsubscribe/${tokenFor(dave)}`;
      await users().delete({ id: dave.id });
      for (const path of [`/unsubscribe/${tokenFor(carol)}`, davesPath]) {
        const res = await oneClick(path);
        expect([path, res.status]).toEqual([path, 200]);
        expect(decodeHtml(res.text)).toContain("You won't get these emails any more.");
      }
      await expect(reload(carol)).resolves.toMatchObject(ALL_EMAIL_OFF);
    });
  });

  describe('email preferences on /edit_profile', () => {
    it('should save "also by email" with the notification preferences, and show them checked', async () => {
      const carol = await awayUser('carol');
      const browser = new BrowserSession(t.app);
      await browser.login('carol', DEFAULT_PASSWORD);
      const res = await browser.submit('/edit_profile', '/notifications/preferences', {
        notify_follows: 'on',
        notify_mentions: 'on',
        email_follows: 'on',
        email_announcements: 'on',
      });
      expect([res.status, res.headers.location]).toEqual([
        302,
        '/edit_profile#notification-preferences',
      ]);
      await expect(reload(carol)).resolves.toMatchObject({
        emailFollows: true,
        emailMentions: false,
        emailMessages: false,
        emailAnnouncements: true,
      });
      const page = (await browser.get('/edit_profile')).text;
      const checked = (name: string) =>
        new RegExp(`id="${name}" name="${name}" value="1" checked`).test(page);
      expect(
        ['email_follows', 'email_mentions', 'email_messages', 'email_announcements'].map(checked),
      ).toEqual([true, false, false, true]);
      expect(page).toContain('<legend class="h6">Also by email</legend>');
      expect(page).not.toContain('id="email-unconfirmed"');
    });

    it('should say that no email goes out until the address is confirmed', async () => {
      await awayUser('carol', { emailConfirmedAt: null });
      const browser = new BrowserSession(t.app);
      await browser.login('carol', DEFAULT_PASSWORD);
      const page = decodeHtml((await browser.get('/edit_profile')).text);
      expect(page).toContain('aria-describedby="email-preferences-help email-unconfirmed"');
      expect(page).toContain('No email is sent until you confirm your email address.');
    });
  });
});
