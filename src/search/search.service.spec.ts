import { ConfigService } from '@nestjs/config';
import { AllConfigType } from '../config/config.type';
import { Post } from '../posts/post.entity';
import { PostsService } from '../posts/posts.service';
import { User } from '../users/user.entity';
import { isStatementTimeout } from './innodb-post-search';
import { PostSearchHits } from './post-search-engine';
import { SEARCH_TERMS_MAX } from './search-query';
import { SearchService } from './search.service';

const PER_PAGE = 2;
const viewer = Object.assign(new User(), { id: 7, username: 'viewer' });

function post(id: number): Post {
  return Object.assign(new Post(), { id, authorId: 1, body: `post ${id}`, timestamp: new Date() });
}

describe(SearchService.name, () => {
  let hits: PostSearchHits;
  let engine: { search: jest.Mock };
  let posts: { visibleTo: jest.Mock; views: jest.Mock };
  let sut: SearchService;

  beforeEach(() => {
    hits = { ids: [], terms: [] };
    engine = { search: jest.fn(() => Promise.resolve(hits)) };
    posts = {
      // Newest first, as PostsService returns them; the service puts them in rank order.
      visibleTo: jest.fn((_viewer: User, ids: number[]) =>
        Promise.resolve([...ids].sort((a, b) => b - a).map(post)),
      ),
      views: jest.fn((list: Post[]) => Promise.resolve(list.map((p) => ({ id: p.id }) as never))),
    };
    const config = { getOrThrow: () => PER_PAGE } as unknown as ConfigService<AllConfigType, true>;
    sut = new SearchService(engine, posts as unknown as PostsService, config);
  });

  it('should ask the engine for one result past the page and keep its order', async () => {
    hits = { ids: [3, 9, 5], terms: ['kiwi'] };
    const page = await sut.page(viewer, 'Kiwi!', '2');
    expect(engine.search).toHaveBeenCalledWith(['kiwi'], viewer.id, { offset: 2, limit: 3 });
    expect(posts.visibleTo).toHaveBeenCalledWith(viewer, [3, 9]);
    expect(page.posts.map((p) => p.id)).toEqual([3, 9]);
    expect(page.pager).toMatchObject({
      page: 2,
      newerUrl: '/search?q=Kiwi%21&page=1',
      olderUrl: '/search?q=Kiwi%21&page=3',
    });
  });

  it('should mark the terms the engine searched and list the words it did not', async () => {
    hits = { ids: [1], terms: ['fox'] };
    const words = Array.from({ length: SEARCH_TERMS_MAX + 1 }, (_, i) => `w${i}`);
    const page = await sut.page(viewer, `the fox ${words.join(' ')}`, undefined);
    expect(page.posts[0].highlight).toEqual(new Set(['fox']));
    expect(page.ignored).toBe(
      ['the', ...words.slice(0, SEARCH_TERMS_MAX - 2), ...words.slice(SEARCH_TERMS_MAX - 2)].join(
        ', ',
      ),
    );
  });

  it('should leave out a post deleted between the search and the page', async () => {
    hits = { ids: [4, 2], terms: ['kiwi'] };
    posts.visibleTo.mockResolvedValueOnce([post(2)]);
    const page = await sut.page(viewer, 'kiwi', '1');
    expect(page.posts.map((p) => p.id)).toEqual([2]);
  });

  it('should say when the engine gave up', async () => {
    hits = { ids: [], terms: ['day'], tooBroad: true };
    const page = await sut.page(viewer, 'day', '1');
    expect([page.tooBroad, page.posts]).toEqual([true, []]);
  });

  it.each([undefined, '', '   ', '"*-()', ['a', 'b']])(
    'should not ask the engine for %p',
    async (q) => {
      const page = await sut.page(viewer, q, '1');
      expect(engine.search).not.toHaveBeenCalled();
      expect([page.posts, page.tooBroad, page.pager.hasLinks]).toEqual([[], false, false]);
    },
  );
});

describe(isStatementTimeout.name, () => {
  it.each([
    [{ errno: 1969 }, true],
    [{ driverError: { errno: 1969 } }, true],
    [{ driverError: { errno: 3024 } }, true],
    [{ errno: 1064 }, false],
    [new Error('boom'), false],
    [null, false],
    ['1969', false],
  ])('should read %p as a timeout: %p', (error, timedOut) => {
    expect(isStatementTimeout(error)).toBe(timedOut);
  });
});
