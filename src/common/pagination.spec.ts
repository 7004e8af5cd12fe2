import { buildPager, lookaheadPager, parsePage } from './pagination';

describe(parsePage.name, () => {
  it.each([
    [undefined, 1],
    ['abc', 1],
    ['0', 1],
    ['-3', 1],
    ['2.5', 1],
    ['2', 2],
    ['40', 40],
  ])('should read %p as page %p', (raw, page) => {
    expect(parsePage(raw, 25)).toEqual({ page, perPage: 25, offset: (page - 1) * 25 });
  });
});

describe(buildPager.name, () => {
  it('should link only to pages that exist', () => {
    expect(buildPager('/messages', parsePage('1', 25), 30)).toEqual({
      page: 1,
      lastPage: 2,
      newerUrl: null,
      olderUrl: '/messages?page=2',
      hasLinks: true,
      pastEnd: false,
      firstUrl: '/messages?page=1',
    });
    expect(buildPager('/messages', parsePage('2', 25), 30)).toEqual({
      page: 2,
      lastPage: 2,
      newerUrl: '/messages?page=1',
      olderUrl: null,
      hasLinks: true,
      pastEnd: false,
      firstUrl: '/messages?page=1',
    });
  });

  it('should link both ways from a middle page', () => {
    const pager = buildPager('/', parsePage('2', 10), 30);
    expect([pager.newerUrl, pager.olderUrl]).toEqual(['/?page=1', '/?page=3']);
    expect(pager.hasLinks).toBe(true);
  });

  it.each([
    ['an empty list', 0],
    ['a list that fits on one page', 25],
  ])('should have no links for %s', (_name, total) => {
    expect(buildPager('/messages', parsePage('1', 25), total)).toMatchObject({
      lastPage: 1,
      newerUrl: null,
      olderUrl: null,
      hasLinks: false,
      pastEnd: false,
    });
  });

  it('should tell a page past the end from an empty list, and lead back', () => {
    expect(buildPager('/messages', parsePage('7', 25), 30)).toEqual({
      page: 7,
      lastPage: 2,
      newerUrl: '/messages?page=2',
      olderUrl: null,
      hasLinks: true,
      pastEnd: true,
      firstUrl: '/messages?page=1',
    });
    expect(buildPager('/messages', parsePage('2', 25), 0)).toMatchObject({
      newerUrl: '/messages?page=1',
      pastEnd: true,
    });
    expect(buildPager('/messages', parsePage('1', 25), 0).pastEnd).toBe(false);
  });

  it('should keep the query in every link, encoded, ahead of the page', () => {
    const pager = buildPager('/explore', parsePage('2', 2), 9, { q: 'al' });
    expect([pager.newerUrl, pager.olderUrl, pager.firstUrl]).toEqual([
      '/explore?q=al&page=1',
      '/explore?q=al&page=3',
      '/explore?q=al&page=1',
    ]);
    expect(buildPager('/explore', parsePage('1', 2), 9, { q: 'a&b=c d' }).olderUrl).toBe(
      '/explore?q=a%26b%3Dc+d&page=2',
    );
  });

  it('should leave out empty query values', () => {
    expect(buildPager('/explore', parsePage('1', 2), 9, { q: '' }).olderUrl).toBe(
      '/explore?page=2',
    );
  });
});

describe(lookaheadPager.name, () => {
  const page = (n: number) => parsePage(String(n), 10);

  it('should link an older page when the list read one row past the page', () => {
    expect(lookaheadPager('/', page(1), 11)).toMatchObject({
      newerUrl: null,
      olderUrl: '/?page=2',
    });
    expect(lookaheadPager('/', page(2), 10)).toMatchObject({
      newerUrl: '/?page=1',
      olderUrl: null,
      pastEnd: false,
    });
  });

  it('should say a page past the end is past the end, with a link back to page 1', () => {
    expect(lookaheadPager('/', page(5), 0)).toMatchObject({ pastEnd: true, olderUrl: null });
    expect(lookaheadPager('/', page(1), 0)).toMatchObject({ pastEnd: false, hasLinks: false });
  });
});
