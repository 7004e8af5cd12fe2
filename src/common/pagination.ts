export interface PageRequest {
  page: number;
  perPage: number;
  offset: number;
}

export interface Pager {
  page: number;
  newerUrl: string | null;
  olderUrl: string | null;
}

/** A bad ?page= is not an error: garbage, zero and negatives mean page 1. */
export function parsePage(raw: unknown, perPage: number): PageRequest {
  const text = typeof raw === 'string' ? raw : '';
  const parsed = /^\d{1,9}$/.test(text) ? Number(text) : 1;
  const page = Math.max(1, parsed);
  return { page, perPage, offset: (page - 1) * perPage };
}

/** Links to the neighbouring pages of a newest-first list; null where there is none. */
export function buildPager(basePath: string, req: PageRequest, total: number): Pager {
  const link = (page: number) => `${basePath}?page=${page}`;
  const lastPage = Math.max(1, Math.ceil(total / req.perPage));
  return {
    page: req.page,
    newerUrl: req.page > 1 ? link(Math.min(req.page - 1, lastPage)) : null,
    olderUrl: req.page < lastPage ? link(req.page + 1) : null,
  };
}
