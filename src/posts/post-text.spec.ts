import { extractMentions, renderPostBody } from './post-text';

const link = (href: string, text = href) =>
  `<a href="${href}" rel="nofollow noopener ugc" target="_blank">${text}</a>`;
const mention = (user: string, written = user) =>
  `<a href="/user/${user}" class="mention" data-user-card="${user}">@${written}</a>`;

describe(extractMentions.name, () => {
  it.each([
    ['@alice hi', ['alice']],
    ['hi @alice', ['alice']],
    [
      '@alice, @bob. @carol! (@dave) @erin: @frank?',
      ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'],
    ],
    ['«@alice» "@bob" привет,@carol', ['alice', 'bob', 'carol']],
    ['line\n@alice', ['alice']],
    ['@Alice and @ALICE and @alice', ['alice']],
    ['@bob.smith and @j-doe_2.', ['bob.smith', 'j-doe_2']],
    ['@alice... yes', ['alice']],
  ])('should find the mentions in %p', (body, names) => {
    expect(extractMentions(body)).toEqual(names);
  });

  it.each([
    'mail bob@example.com',
    'иван@example.com',
    '@bob@example.com',
    '@alicé',
    '@ alice',
    '@...',
    '@admin and @notifications',
    `@${'a'.repeat(65)}`,
    'https://mastodon.social/@alice',
    '@<b>alice</b>',
    '@алиса',
  ])('should find no mention in %p', (body) => {
    expect(extractMentions(body)).toEqual([]);
  });

  it('should accept a name of the longest allowed length', () => {
    expect(extractMentions(`@${'a'.repeat(64)}!`)).toEqual(['a'.repeat(64)]);
  });

  it('should keep only the first 20 distinct mentions', () => {
    const names = Array.from({ length: 25 }, (_, i) => `user${i}`);
    const body = ['@user0', ...names.map((name) => `@${name}`)].join(' ');
    expect(extractMentions(body)).toEqual(names.slice(0, 20));
  });
});

describe(renderPostBody.name, () => {
  const users = new Map([
    ['alice', 'Alice'],
    ['bob.smith', 'Bob.Smith'],
  ]);
  const render = (body: string) => renderPostBody(body, users);

  it('should escape every HTML-significant character', () => {
    expect(render(`<script>alert("x")</script> & 'a' = \`b\``)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;a&#x27; &#x3D; &#x60;b&#x60;',
    );
    expect(render('"><img src=x onerror=alert(1)>')).toBe(
      '&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;',
    );
  });

  it.each(['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://x.com'])(
    'should not link %p',
    (body) => {
      expect(render(body)).not.toContain('<a');
    },
  );

  it('should link http and https URLs', () => {
    expect(render('see https://example.com/a?b=1&c=2 and http://x.org')).toBe(
      `see ${link('https://example.com/a?b&#x3D;1&amp;c&#x3D;2')} and ${link('http://x.org')}`,
    );
  });

  it('should keep a quote and what follows out of the link', () => {
    expect(render('https://x.com/"onmouseover=alert(1)')).toBe(
      `${link('https://x.com/')}&quot;onmouseover&#x3D;alert(1)`,
    );
  });

  it('should escape quotes the URL keeps in its href', () => {
    expect(render("https://x.com/'onmouseover='alert(1)")).toBe(
      link('https://x.com/&#x27;onmouseover&#x3D;&#x27;alert(1)'),
    );
  });

  it('should not link a URL inside a word or without a host', () => {
    expect(render('xhttps://x.com https:// https://. http://?')).toBe(
      'xhttps://x.com https:// https://. http://?',
    );
  });

  it.each([
    ['https://x.com.', 'https://x.com', '.'],
    ['https://x.com/a,', 'https://x.com/a', ','],
    ['https://x.com/a?!', 'https://x.com/a', '?!'],
    ['https://x.com/a;:', 'https://x.com/a', ';:'],
    ['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://en.wikipedia.org/wiki/Foo_(bar)', ''],
    ['https://en.wikipedia.org/wiki/Foo_(bar).', 'https://en.wikipedia.org/wiki/Foo_(bar)', '.'],
    ['https://en.wikipedia.org/wiki/Foo_(bar)),', 'https://en.wikipedia.org/wiki/Foo_(bar)', '),'],
  ])('should leave trailing punctuation out of %p', (body, url, rest) => {
    expect(render(body)).toBe(link(url) + rest);
  });

  it('should leave the parentheses around a URL out of it', () => {
    expect(render('(see https://x.com/a)')).toBe(`(see ${link('https://x.com/a')})`);
  });

  it('should shorten the text of a long URL but not its href', () => {
    const url = `https://example.com/${'a'.repeat(60)}`;
    expect(render(url)).toBe(link(url, `${url.slice(0, 40)}…`));
    const forty = `https://example.com/${'b'.repeat(20)}`;
    expect(render(forty)).toBe(link(forty));
  });

  it('should link mentions of known users with their stored name, as written', () => {
    expect(render('@alice, @ALICE! (@bob.smith) @bob.smith.')).toBe(
      `${mention('Alice', 'alice')}, ${mention('Alice', 'ALICE')}! ` +
        `(${mention('Bob.Smith', 'bob.smith')}) ${mention('Bob.Smith', 'bob.smith')}.`,
    );
  });

  it('should URL-encode the name in the href', () => {
    expect(renderPostBody('@x-y', new Map([['x-y', 'x-y']]))).toContain('href="/user/x-y"');
    expect(renderPostBody('@a', new Map([['a', 'a/b?c']]))).toContain(
      'href="/user/a%2Fb%3Fc" class="mention" data-user-card="a/b?c"',
    );
  });

  it('should leave unknown users, emails and junk as plain text', () => {
    expect(render('@carol alice@example.com @<b>alice</b> @alice@evil.com')).toBe(
      '@carol alice@example.com @&lt;b&gt;alice&lt;/b&gt; @alice@evil.com',
    );
  });

  it('should leave a mention inside a URL to the URL', () => {
    expect(render('https://mastodon.social/@alice')).toBe(link('https://mastodon.social/@alice'));
  });

  it('should keep Cyrillic text and emoji as they are', () => {
    const text = 'Привет, мир! 👨‍👩‍👧 👍🏽 é';
    expect(render(text)).toBe(text);
    expect(render(`${text} @alice 🎉`)).toBe(`${text} ${mention('Alice', 'alice')} 🎉`);
  });

  it('should turn every kind of line break into <br>', () => {
    expect(render('a\r\nb\rc\nd')).toBe('a<br>b<br>c<br>d');
  });

  it('should keep at most two blank lines in a row', () => {
    expect(render('a\n\n\nb')).toBe('a<br><br><br>b');
    expect(render('a\n\n\n\n\n\n\nb\r\n\r\n\r\n\r\nc')).toBe('a<br><br><br>b<br><br><br>c');
    expect(render('a\n \n\t\n  \n\nb')).toBe('a<br><br><br>b');
  });

  it('should return an empty string for an empty body', () => {
    expect(renderPostBody('', new Map())).toBe('');
  });
});
