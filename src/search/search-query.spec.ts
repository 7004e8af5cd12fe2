import { renderPostBody } from '../posts/post-text';
import { foldWord } from '../posts/post-words';
import { INNODB_DEFAULT_STOPWORDS, innodbSearchable } from './innodb-token-rules';
import {
  fts5Match,
  innodbBooleanMatch,
  parseSearchQuery,
  SEARCH_QUERY_MAX,
  SEARCH_TERMS_MAX,
} from './search-query';

/** Queries made of operators, quotes and junk, as people and attackers type them. */
const JUNK = [
  '"',
  '*',
  '-',
  '(',
  ')',
  '"unbalanced',
  'NEAR(',
  'a AND OR NOT',
  '+-~<>@*"()',
  "' OR 1=1 --",
  '\\',
  '😀🎉',
  '%_',
  '^abc',
  'col:abc',
  '{abc def}',
  'x'.repeat(1000),
];

describe(parseSearchQuery.name, () => {
  it.each([
    ['hello', ['hello']],
    ['  Hello   WORLD ', ['hello', 'world']],
    ['hello hello HELLO', ['hello']],
    ['Привет, МИР!', ['привет', 'мир']],
    ['Ёлка', ['елка']],
    ['мой', ['мой']],
    ['Canción ÉXITO año', ['cancion', 'exito', 'ano']],
    ['cafe\u0301', ['cafe']],
    ['"quoted phrase"', ['quoted', 'phrase']],
    ['foo* -bar (baz)', ['foo', 'bar', 'baz']],
    ['a AND OR NOT', ['a', 'and', 'or', 'not']],
    ['NEAR(x y)', ['near', 'x', 'y']],
    ["don't", ['don', 't']],
    ['snake_case', ['snake', 'case']],
    ['2024 v2', ['2024', 'v2']],
    ['😀🎉', []],
    ['', []],
    ['   ', []],
  ])('should find the words of %p', (raw, terms) => {
    expect(parseSearchQuery(raw).terms).toEqual(terms);
  });

  it.each([undefined, null, 42, ['a', 'b'], { q: 'a' }])('should read %p as no query', (raw) => {
    expect(parseSearchQuery(raw)).toEqual({ text: '', cut: false, terms: [], extra: [] });
  });

  it('should keep the query as typed for the page, without control characters', () => {
    expect(parseSearchQuery(' a\u0000b\u001b<script> \ud800 ').text).toBe('a b <script>');
  });

  it('should cut a long query at the limit and say so', () => {
    const query = parseSearchQuery(`${'ж'.repeat(SEARCH_QUERY_MAX)} tail`);
    expect([...query.text]).toHaveLength(SEARCH_QUERY_MAX);
    expect(query.cut).toBe(true);
    expect(query.terms).toEqual(['ж'.repeat(SEARCH_QUERY_MAX)]);
    expect(parseSearchQuery('short').cut).toBe(false);
  });

  it('should search for the first words only and list the others', () => {
    const words = Array.from({ length: SEARCH_TERMS_MAX + 2 }, (_, i) => `w${i}`);
    const query = parseSearchQuery(words.join(' '));
    expect(query.terms).toEqual(words.slice(0, SEARCH_TERMS_MAX));
    expect(query.extra).toEqual(words.slice(SEARCH_TERMS_MAX));
  });

  it.each(JUNK)('should turn %p into words only', (raw) => {
    for (const term of parseSearchQuery(raw).terms) {
      expect(term).toMatch(/^[\p{L}\p{N}\p{M}]+$/u);
    }
  });
});

describe(fts5Match.name, () => {
  it('should quote every term, so that no word is an operator', () => {
    expect(fts5Match(['near', 'and', 'привет'])).toBe('"near" "and" "привет"');
  });

  it('should double a quote inside a term', () => {
    expect(fts5Match(['a"b'])).toBe('"a""b"');
  });
});

describe(innodbBooleanMatch.name, () => {
  it('should require every term', () => {
    expect(innodbBooleanMatch(['hello', 'мир'])).toBe('+hello +мир');
  });

  it('should keep no operator character, whatever it is given', () => {
    expect(innodbBooleanMatch(['a"b', '*', '-c', '(d)'])).toBe('+ab +c +d');
  });
});

describe(innodbSearchable.name, () => {
  const rules = { minLength: 3, maxLength: 84, stopwords: new Set(INNODB_DEFAULT_STOPWORDS) };

  it('should leave out what InnoDB does not index: short words, long ones and stopwords', () => {
    expect(
      innodbSearchable(['ab', 'мир', 'the', 'fox', 'x'.repeat(85), 'y'.repeat(84)], rules),
    ).toEqual(['мир', 'fox', 'y'.repeat(84)]);
  });
});

describe(foldWord.name, () => {
  it.each([
    ['HELLO', 'hello'],
    ['Canción', 'cancion'],
    ['NIÑO', 'nino'],
    ['İstanbul', 'istanbul'],
    ['ЁЛКА', 'елка'],
    ['зелёная', 'зеленая'],
    ['й', 'й'],
    ['Straße', 'straße'],
  ])('should fold %p to %p', (word, folded) => {
    expect(foldWord(word)).toBe(folded);
  });
});

describe(renderPostBody.name, () => {
  const none = new Map<string, string>();
  const render = (body: string, terms: string[], users = none) =>
    renderPostBody(body, users, new Set(terms));

  it('should mark the words found, in any case and with their accents', () => {
    expect(render('Hello world, HELLO!', ['hello'])).toBe(
      '<mark>Hello</mark> world, <mark>HELLO</mark>!',
    );
    expect(render('Привет мир и Мир', ['мир'])).toBe('Привет <mark>мир</mark> и <mark>Мир</mark>');
    expect(render('La canción del año', ['cancion', 'ano'])).toBe(
      'La <mark>canción</mark> del <mark>año</mark>',
    );
    expect(render('ёлка', ['елка'])).toBe('<mark>ёлка</mark>');
  });

  it('should mark whole words only', () => {
    expect(render('hellos shell hello_there', ['hello'])).toBe(
      'hellos shell <mark>hello</mark>_there',
    );
  });

  it('should escape the text around the marks and never take markup from it', () => {
    expect(render('<b>bold</b> & <mark>bold</mark>', ['bold', 'mark', 'b'])).toBe(
      '&lt;<mark>b</mark>&gt;<mark>bold</mark>&lt;/<mark>b</mark>&gt; &amp; ' +
        '&lt;<mark>mark</mark>&gt;<mark>bold</mark>&lt;/<mark>mark</mark>&gt;',
    );
    expect(render('"x" \'y\' `z` =', ['x'])).toBe(
      '&quot;<mark>x</mark>&quot; &#x27;y&#x27; &#x60;z&#x60; &#x3D;',
    );
  });

  it('should keep line breaks, links and mentions, marking their visible words', () => {
    expect(
      render(
        'news\n@alice https://example.com/news',
        ['news', 'alice'],
        new Map([['alice', 'alice']]),
      ),
    ).toBe(
      '<mark>news</mark><br><a href="/user/alice" class="mention" data-user-card="alice">' +
        '@<mark>alice</mark></a> <a href="https://example.com/news" rel="nofollow noopener ugc" ' +
        'target="_blank">https://example.com/<mark>news</mark></a>',
    );
  });

  it('should render as before without terms', () => {
    const body = '<i>x</i>\nhttps://example.com @bob';
    expect(renderPostBody(body, none, new Set())).toBe(renderPostBody(body, none));
  });
});
