/**
 * Reading the site's pages the way tests need to: by the ids, classes and data attributes the
 * views put on things (not by incidental markup), with text decoded as a browser reads it.
 */
import { decodeHtml } from './html';

export { decodeHtml, titleOf } from './html';

/** The text of an element, tags left out, entities decoded, runs of white space made one. */
function textOf(html: string): string {
  return decodeHtml(html.replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

/** The navbar badge: its exact count (data-count) and what it shows ("3", "99+"). */
export function badgeOf(html: string): { count: number; shown: string } {
  const match = /<span\b([^>]*\bid="message_count"[^>]*)>([^<]*)<\/span>/.exec(html);
  const count = /\bdata-count="(\d+)"/.exec(match?.[1] ?? '')?.[1];
  if (!match || count === undefined) {
    throw new Error('no badge (#message_count with data-count) in the page');
  }
  return { count: Number(count), shown: match[2].trim() };
}

export interface ConversationRow {
  peer: string;
  /** The last message either way, "You: " in front of one's own. */
  snippet: string;
  /** The number in .conversation-unread-count; 0 when the row shows none. */
  unread: number;
}

/** The rows of a conversation list (list items with data-peer), in order. */
export function conversationRows(html: string): ConversationRow[] {
  return [...html.matchAll(/<li\b[^>]*\bdata-peer="[^"]*"[^>]*>([\s\S]*?)<\/li>/g)].map(
    ([whole, inner]) => {
      const peer = /\bdata-peer="([^"]*)"/.exec(whole)?.[1];
      const snippet = /class="[^"]*\bconversation-snippet\b[^"]*">([\s\S]*?)<\/p>/.exec(inner)?.[1];
      const unread = /class="[^"]*\bconversation-unread-count\b[^"]*">([\s\S]*?)<\/span>/.exec(
        inner,
      );
      if (peer === undefined || snippet === undefined) {
        throw new Error(`a conversation row without data-peer or snippet: ${whole}`);
      }
      return {
        peer: decodeHtml(peer),
        snippet: textOf(snippet),
        unread: unread ? Number(/\d+/.exec(textOf(unread[1]))?.[0]) : 0,
      };
    },
  );
}

export interface MessageItem {
  id: number;
  /** The body as the browser reads it: entities decoded, line breaks kept. */
  body: string;
  /** The body as it is in the page. */
  rawBody: string;
  /** The item's whole markup. */
  html: string;
  /** Marked new (.message-new) in the inbox. */
  isNew: boolean;
  /** One's own message in a thread (data-mine). */
  mine: boolean;
  /** The person it links to as /conversations/<name> (sender or recipient in the lists). */
  person: string | undefined;
}

/** The messages of a page or fragment (elements with data-message-id), in order. */
export function messageItems(html: string): MessageItem[] {
  return [...html.matchAll(/<li\b([^>]*\bdata-message-id="(\d+)"[^>]*)>([\s\S]*?)<\/li>/g)].map(
    ([whole, attributes, id, inner]) => {
      const rawBody = /class="[^"]*\bmessage-body\b[^"]*">([\s\S]*?)<\/p>/.exec(inner)?.[1] ?? '';
      const person = /href="\/conversations\/([^"/?]+)"/.exec(inner)?.[1];
      return {
        id: Number(id),
        body: decodeHtml(rawBody),
        rawBody,
        html: whole,
        isNew: /\bclass="[^"]*\bmessage-new\b/.test(attributes),
        mine: /\bdata-mine="true"/.test(attributes),
        person: person === undefined ? undefined : decodeURIComponent(person),
      };
    },
  );
}

/** Markup with the per-response parts taken out (CSRF tokens), to compare two renderings. */
export function withoutTokens(html: string): string {
  return html.replace(/name="csrf_token" value="[^"]*"/g, 'name="csrf_token" value=""');
}

export interface PostItem {
  id: number;
  /** The author's username (the link that opens their card). */
  author: string;
  /** The body as the browser reads it: tags left out, entities decoded. */
  body: string;
}

/** The posts of a timeline (list items with data-post-id), in order. */
export function postItems(html: string): PostItem[] {
  return [...html.matchAll(/<li\b[^>]*\bdata-post-id="(\d+)"[^>]*>([\s\S]*?)<\/li>/g)].map(
    ([whole, id, inner]) => {
      const author = /\bid="post-\d+-author"[^>]*\bdata-user-card="([^"]*)"/.exec(inner)?.[1];
      const body = /class="[^"]*\bpost-body\b[^"]*">([\s\S]*?)<\/p>/.exec(inner)?.[1];
      if (author === undefined || body === undefined) {
        throw new Error(`a post without an author link or a body: ${whole}`);
      }
      return { id: Number(id), author: decodeHtml(author), body: textOf(body) };
    },
  );
}

/** The bell: its exact count (data-count) and what it shows. */
export function bellOf(html: string): { count: number; shown: string } {
  const match = /<span\b([^>]*\bid="notification_count"[^>]*)>([^<]*)<\/span>/.exec(html);
  const count = /\bdata-count="(\d+)"/.exec(match?.[1] ?? '')?.[1];
  if (!match || count === undefined) {
    throw new Error('no bell (#notification_count with data-count) in the page');
  }
  return { count: Number(count), shown: match[2].trim() };
}

/** The attributes of the layout's notifications script, decoded; null when the page has none. */
export function notificationsScriptOf(html: string): Record<string, string> | null {
  const tag = /<script\b([^>]*\bsrc="\/static\/js\/notifications\.js"[^>]*)>/.exec(html);
  if (!tag) {
    return null;
  }
  return Object.fromEntries(
    [...tag[1].matchAll(/([\w-]+)="([^"]*)"/g)].map(([, name, value]) => [name, decodeHtml(value)]),
  );
}
