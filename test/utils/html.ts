/** Reading rendered pages in e2e tests: attribute values as a browser would see them. */

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#x60;': '`',
  '&#x3D;': '=',
};

/** Undoes the escaping Handlebars applies. */
export function decodeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#x27|#x60|#x3D);/g, (entity) => ENTITIES[entity]);
}

/** The text of <title>. */
export function titleOf(html: string): string | undefined {
  const match = /<title>([^<]*)<\/title>/.exec(html);
  return match ? decodeHtml(match[1]).trim() : undefined;
}

/** The usernames a user list shows, in order. */
export function listedUsers(html: string): string[] {
  return [...html.matchAll(/<a href="\/user\/([^"]+)">/g)].map((m) => decodeHtml(m[1]));
}

/** The footer's language links, by language. */
export function languageLinks(html: string): Record<string, string> {
  const links: Record<string, string> = {};
  for (const m of html.matchAll(/<a href="([^"]*)" lang="[^"]*" hreflang="([^"]*)"/g)) {
    links[m[2]] = decodeHtml(m[1]);
  }
  return links;
}

/** The pagination block, or null when the page has none. */
export function pagerOf(html: string): string | null {
  const match = /<nav aria-label="(?:Pagination|Paginación|Страницы)">[\s\S]*?<\/nav>/.exec(html);
  return match ? match[0] : null;
}

/** The href of every link in `html` whose text contains `label`. */
export function linksLabelled(html: string, label: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)]
    .filter((m) => m[2].includes(label))
    .map((m) => decodeHtml(m[1]));
}

/** The levels of the page's headings, in document order (h2 -> 2). */
export function headingLevels(html: string): number[] {
  return [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
}

/** What axe's page-has-heading-one and heading-order rules ask: one h1 first, no level skipped. */
export function expectValidHeadings(html: string): void {
  const levels = headingLevels(html);
  expect(levels.filter((level) => level === 1)).toHaveLength(1);
  expect(levels[0]).toBe(1);
  levels.forEach((level, i) => {
    if (i > 0) {
      expect(level).toBeLessThanOrEqual(levels[i - 1] + 1);
    }
  });
}
