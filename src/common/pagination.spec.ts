import { buildPager, parsePage } from './pagination';

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
      newerUrl: null,
      olderUrl: '/messages?page=2',
    });
    expect(buildPager('/messages', parsePage('2', 25), 30)).toEqual({
      page: 2,
      newerUrl: '/messages?page=1',
      olderUrl: null,
    });
    expect(buildPager('/messages', parsePage('7', 25), 30)).toEqual({
      page: 7,
      newerUrl: '/messages?page=2',
      olderUrl: null,
    });
    expect(buildPager('/messages', parsePage('1', 25), 0)).toEqual({
      page: 1,
      newerUrl: null,
      olderUrl: null,
    });
  });
});
