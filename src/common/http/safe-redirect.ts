/**
 * Returns `next` only when it is a path on this site ("/messages?page=2"); anything that could
 * leave the site ("//evil.example", "https://...", "/\\evil", control characters) falls back.
 */
export function safeRedirectTarget(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) {
    return fallback;
  }
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return fallback;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) {
    return fallback;
  }
  try {
    // Resolve against a dummy origin: a same-site path keeps that origin.
    const url = new URL(next, 'http://same.invalid');
    return url.origin === 'http://same.invalid' ? url.pathname + url.search + url.hash : fallback;
  } catch {
    return fallback;
  }
}
