export interface PageRequest {
  page: number;
  perPage: number;
  offset: number;
}

/**
 * What a paginated page's view needs (views/partials/pager.hbs draws the links). A list that
 * is empty on a page past its end is not an empty list: show "Nothing on this page." with a
 * link to `firstUrl` when `pastEnd`, the list's own empty text otherwise.
 */
export interface Pager {
  /** The page asked for (may be past the last one). */
  page: number;
  /** 1 for an empty list. */
  lastPage: number;
  /** The previous page (the last page from past the end); null on page 1. */
  newerUrl: string | null;
  /** The next page; null on the last page and past it. */
  olderUrl: string | null;
  /** Whether there is a newer or an older page at all: a list on one page shows no pager. */
  hasLinks: boolean;
  /** The page asked for is after the last page: its list is empty, the list itself may not be. */
  pastEnd: boolean;
  /** Page 1, with the same query. */
  firstUrl: string;
}

/** A bad ?page= is not an error: garbage, zero and negatives mean page 1. */
export function parsePage(raw: unknown, perPage: number): PageRequest {
  const text = typeof raw === 'string' ? raw : '';
  const parsed = /^\d{1,9}$/.test(text) ? Number(text) : 1;
  const page = Math.max(1, parsed);
  return { page, perPage, offset: (page - 1) * perPage };
}

/**
 * Links to the neighbouring pages of a list; null where there is none. `query` is kept in
 * every link, ahead of page= ("/explore?q=al&page=2"); empty values are left out.
 */
export function buildPager(
  basePath: string,
  req: PageRequest,
  total: number,
  query: Record<string, string> = {},
): Pager {
  const kept = Object.entries(query).filter(([, value]) => value !== '');
  const link = (page: number) =>
    `${basePath}?${new URLSearchParams([...kept, ['page', String(page)]]).toString()}`;
  const lastPage = Math.max(1, Math.ceil(total / req.perPage));
  const newerUrl = req.page > 1 ? link(Math.min(req.page - 1, lastPage)) : null;
  const olderUrl = req.page < lastPage ? link(req.page + 1) : null;
  return {
    page: req.page,
    lastPage,
    newerUrl,
    olderUrl,
    hasLinks: newerUrl !== null || olderUrl !== null,
    pastEnd: req.page > lastPage,
    firstUrl: link(1),
  };
}

/**
 * The pager of a list read one row past the page (`fetched` rows: more than perPage means an
 * older page exists), so no page counts the whole list.
 */
export function lookaheadPager(
  basePath: string,
  req: PageRequest,
  fetched: number,
  query: Record<string, string> = {},
): Pager {
  return buildPager(basePath, req, fetched > 0 ? req.offset + fetched : 0, query);
}
