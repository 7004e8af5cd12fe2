import { Utils } from 'handlebars';
import { usernameProblem } from '../users/username';
import { foldWord, WORD } from './post-words';

/** More distinct mentions than this in one post are ignored (no links, no notifications). */
export const MENTIONS_MAX = 20;

/** A link's visible text is cut after this many characters; its href stays whole. */
export const LINK_TEXT_MAX = 40;

/**
 * Candidates for a link or a mention, not inside a word: "bob@example.com" and "xhttp://" are
 * plain text. Only http(s) is matched, so no other scheme (javascript:, data:) becomes a link.
 */
const CANDIDATES = /(?<![\p{L}\p{N}\p{M}_])(?:https?:\/\/[^\s<>"]+|@[A-Za-z0-9_.-]+)/giu;

/** A name that runs on into a letter or into "@" ("@alicé", "@bob@example.com") is no mention. */
const NAME_RUNS_ON = /^[\p{L}\p{N}\p{M}@]/u;

type Token =
  { kind: 'text'; text: string } | { kind: 'url'; url: string } | { kind: 'mention'; name: string };

/** The URL without trailing punctuation; a ")" stays when it closes a "(" of the URL. */
function trimUrl(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.at(-1) ?? '';
    const unbalanced = last === ')' && url.split(')').length > url.split('(').length;
    if (!'.,;:!?'.includes(last) && !unbalanced) {
      return url;
    }
    url = url.slice(0, -1);
  }
}

/** The link or mention a candidate starts with, and how much of it that is; null if none. */
function recognise(candidate: string, after: string): { token: Token; length: number } | null {
  if (candidate.startsWith('@')) {
    const name = candidate.slice(1).replace(/\.+$/, '');
    const valid = !NAME_RUNS_ON.test(after) && usernameProblem(name) === null;
    return valid ? { token: { kind: 'mention', name }, length: name.length + 1 } : null;
  }
  const url = trimUrl(candidate);
  return URL.canParse(url) ? { token: { kind: 'url', url }, length: url.length } : null;
}

function tokenize(body: string): Token[] {
  const tokens: Token[] = [];
  let done = 0;
  for (const match of body.matchAll(CANDIDATES)) {
    const end = match.index + match[0].length;
    const found = recognise(match[0], body.slice(end, end + 1));
    if (found) {
      tokens.push({ kind: 'text', text: body.slice(done, match.index) }, found.token);
      done = match.index + found.length;
    }
  }
  tokens.push({ kind: 'text', text: body.slice(done) });
  return tokens;
}

/** The distinct usernames a post mentions, lower-cased, in order of first mention. */
export function extractMentions(body: string): string[] {
  const names = new Set<string>();
  for (const token of tokenize(body)) {
    if (token.kind === 'mention' && names.size < MENTIONS_MAX) {
      names.add(token.name.toLowerCase());
    }
  }
  return [...names];
}

/** Unix line breaks, and no more than two blank lines in a row (whitespace-only lines count). */
function normaliseLines(body: string): string {
  return body.replace(/\r\n?/g, '\n').replace(/\n(?:[^\S\n]*\n){3,}/g, '\n\n\n');
}

/** Folded words (see foldWord) to mark in a post: the terms of a search it was found by. */
export type Highlight = ReadonlySet<string>;

/**
 * Text as HTML: escaped, line breaks as <br>, and each word whose folded form is in
 * `highlight` inside <mark>. The text is escaped piece by piece and only the fixed tags are
 * added, so nothing of the text or the search terms ever reaches the page as markup.
 */
function textHtml(text: string, highlight: Highlight | undefined): string {
  const escape = (piece: string) => Utils.escapeExpression(piece).replaceAll('\n', '<br>');
  if (!highlight || highlight.size === 0) {
    return escape(text);
  }
  let html = '';
  let done = 0;
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    html += escape(text.slice(done, match.index));
    html += highlight.has(foldWord(word)) ? `<mark>${escape(word)}</mark>` : escape(word);
    done = match.index + word.length;
  }
  return html + escape(text.slice(done));
}

function renderToken(
  token: Token,
  knownUsers: ReadonlyMap<string, string>,
  highlight: Highlight | undefined,
): string {
  const escape = Utils.escapeExpression;
  switch (token.kind) {
    case 'text':
      return textHtml(token.text, highlight);
    case 'url': {
      const chars = [...token.url];
      const shown =
        chars.length > LINK_TEXT_MAX ? `${chars.slice(0, LINK_TEXT_MAX).join('')}…` : token.url;
      return `<a href="${escape(token.url)}" rel="nofollow noopener ugc" target="_blank">${textHtml(shown, highlight)}</a>`;
    }
    case 'mention': {
      const user = knownUsers.get(token.name.toLowerCase());
      if (user === undefined) {
        return textHtml(`@${token.name}`, highlight);
      }
      const href = `/user/${encodeURIComponent(user)}`;
      return `<a href="${escape(href)}" class="mention" data-user-card="${escape(user)}">@${textHtml(token.name, highlight)}</a>`;
    }
  }
}

/**
 * A post body as HTML: all text escaped, http(s) URLs and mentions of `knownUsers` (lower-cased
 * name -> stored name) as links, line breaks as <br>, the words in `highlight` marked. Wrap
 * the result in a SafeString.
 */
export function renderPostBody(
  body: string,
  knownUsers: ReadonlyMap<string, string>,
  highlight?: Highlight,
): string {
  return tokenize(normaliseLines(body))
    .map((token) => renderToken(token, knownUsers, highlight))
    .join('');
}
