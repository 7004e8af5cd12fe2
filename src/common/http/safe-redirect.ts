const BASE = 'http://same.invalid';
// A path whose first segment is empty once decoded ("/%2F/evil", "/%09/evil"): harmless as it
// is, but one careless decode away (a template that doesn't re-encode, a proxy) from "//evil".
const EMPTY_FIRST_SEGMENT = /^\/(?:%09|%0a|%0d)*(?:\/|\\|%2f|%5c)/i;

/**
 * The path, query and fragment of `target` as a browser reads them, when that is a path on this
 * site; otherwise null. `target` is resolved the way a browser resolves a Location header (the
 * WHATWG URL parser: dot segments, "\" as "/", %2e as ".", tabs and newlines dropped), and what
 * comes back is that normalised form, never the raw string: "/.//evil.example" and
 * "/x/..//evil.example" normalise to "//evil.example", which a browser re-reads as another host.
 * A path whose first segment is empty, also once percent-decoded ("/%2F/evil"), is refused.
 */
export function sameSitePath(target: string): string | null {
  let url: URL;
  try {
    url = new URL(target, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE || EMPTY_FIRST_SEGMENT.test(url.pathname)) {
    return null;
  }
  return url.pathname + url.search + url.hash;
}

/**
 * Returns `next` only when it is a path on this site ("/messages?page=2"); anything that could
 * leave the site ("//evil.example", "https://...", "/\\evil", "/.//evil", control characters)
 * falls back.
 */
export function safeRedirectTarget(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) {
    return fallback;
  }
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return fallback;
  }
  // A browser drops tabs and newlines from URLs, so "/\t/evil.example" would become "//evil...".
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) {
    return fallback;
  }
  return sameSitePath(next) ?? fallback;
}

/** Where a submitted form asked to go back to (its `next` field, a same-site path), or `fallback`. */
export function formNextOr(body: unknown, fallback: string): string {
  const next = (body as { next?: unknown } | undefined)?.next;
  return safeRedirectTarget(typeof next === 'string' ? next : undefined, fallback);
}
