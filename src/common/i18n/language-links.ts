import { sameSitePath } from '../http/safe-redirect';

const BASE = 'http://same.invalid';
const MAX_URL = 2048;

/**
 * What the footer's language links start with, "lang=<code>" being added by the template: the
 * current page and query, ?lang= dropped ("/explore?page=2&"). Only a same-site path is kept;
 * on a request for "//evil.example/x" (a 404 page) the links go to "/?lang=es", never to the
 * protocol-relative "//evil.example/x?lang=es".
 */
export function languageLinkBase(currentUrl: string): string {
  const path = currentUrl.length <= MAX_URL ? sameSitePath(currentUrl) : null;
  const url = new URL(path ?? '/', BASE);
  url.searchParams.delete('lang');
  const query = url.searchParams.toString();
  return `${url.pathname}?${query ? `${query}&` : ''}`;
}
