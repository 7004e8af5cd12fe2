import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { lookaheadPager, Pager, parsePage } from '../common/pagination';
import { AllConfigType } from '../config/config.type';
import { Highlight } from '../posts/post-text';
import { PostsService, PostView } from '../posts/posts.service';
import { User } from '../users/user.entity';
import { POST_SEARCH_ENGINE, PostSearchEngine, PostSearchHits } from './post-search-engine';
import { parseSearchQuery, SEARCH_QUERY_MAX } from './search-query';

/** What views/search/results.hbs shows. */
export interface SearchPage {
  /** The query as typed (cleaned and cut); '' before anything was asked. */
  q: string;
  /** The query was cut at `max` characters. */
  cut: boolean;
  max: number;
  /** Words of the query that were not searched for (too many, or not in the index), listed. */
  ignored: string;
  /** The engine gave up: too many posts hold the words to rank them in time. */
  tooBroad: boolean;
  posts: (PostView & { highlight: Highlight })[];
  pager: Pager;
}

const NO_HITS: PostSearchHits = { ids: [], terms: [] };

/** Full-text search of posts: the ranked ids from the engine, the posts as timelines show them. */
@Injectable()
export class SearchService {
  constructor(
    @Inject(POST_SEARCH_ENGINE) private readonly engine: PostSearchEngine,
    private readonly posts: PostsService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  async page(viewer: User, rawQuery: unknown, rawPage: unknown): Promise<SearchPage> {
    const query = parseSearchQuery(rawQuery);
    const page = parsePage(rawPage, this.config.getOrThrow('app.postsPerPage', { infer: true }));
    // One past the page: more than perPage ids means there is a next page.
    const hits =
      query.terms.length > 0
        ? await this.engine.search(query.terms, viewer.id, {
            offset: page.offset,
            limit: page.perPage + 1,
          })
        : NO_HITS;
    const found = await this.inOrder(viewer, hits.ids.slice(0, page.perPage));
    const highlight: Highlight = new Set(hits.terms);
    return {
      q: query.text,
      cut: query.cut,
      max: SEARCH_QUERY_MAX,
      ignored: [...query.terms.filter((term) => !highlight.has(term)), ...query.extra].join(', '),
      tooBroad: hits.tooBroad ?? false,
      posts: (await this.posts.views(found, viewer)).map((view) => ({ ...view, highlight })),
      pager: lookaheadPager('/search', page, hits.ids.length, { q: query.text }),
    };
  }

  /** The posts of `ids` in that order (one deleted since the search is left out). */
  private async inOrder(viewer: User, ids: number[]) {
    const rank = new Map(ids.map((id, i) => [id, i]));
    const posts = await this.posts.visibleTo(viewer, ids);
    return posts.sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
  }
}
