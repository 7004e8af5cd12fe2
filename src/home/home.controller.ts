import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Param, Query, Render } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CurrentUser } from '../auth/decorators';
import { buildPager, lookaheadPager, PageRequest, parsePage } from '../common/pagination';
import { AllConfigType } from '../config/config.type';
import { ConversationsService } from '../conversations/conversations.service';
import { FollowsService } from '../follows/follows.service';
import { Post, POST_MAX } from '../posts/post.entity';
import { PostsService } from '../posts/posts.service';
import { User } from '../users/user.entity';
import { searchTerm } from '../users/user-search';
import { UsersService } from '../users/users.service';

/** How many conversations the home page shows beside the timeline. */
const RECENT_CONVERSATIONS = 5;

/** The pages that show posts: the home timeline, explore and profiles. */
@Controller()
// Browser pages, not part of the documented JSON API.
@ApiExcludeController()
export class HomeController {
  constructor(
    private readonly posts: PostsService,
    private readonly follows: FollowsService,
    private readonly users: UsersService,
    private readonly conversations: ConversationsService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  /** The post form, your home timeline, and your recent conversations beside it. */
  @Get()
  @Render('home')
  async home(@CurrentUser() me: User, @Query('page') rawPage: unknown) {
    const page = this.pageOf(rawPage);
    const [fetched, [recent, conversationCount]] = await Promise.all([
      this.posts.home(me, page),
      this.conversations.list(me, { page: 1, perPage: RECENT_CONVERSATIONS, offset: 0 }),
    ]);
    return {
      ...(await this.timeline(fetched, me, page, '/')),
      watch: 'home',
      form: {},
      max: POST_MAX,
      recent,
      moreConversations: conversationCount > recent.length,
    };
  }

  /** Everyone's posts; with ?q=, the people whose name starts with it. */
  @Get('explore')
  @Render('explore')
  async explore(
    @CurrentUser() me: User,
    @Query('page') rawPage: unknown,
    @Query('q') rawQ: unknown,
  ) {
    const page = this.pageOf(rawPage);
    const q = searchTerm(rawQ);
    if (q) {
      const [users, total] = await this.users.searchByPrefix(q, page);
      return { q, users, searching: true, pager: buildPager('/explore', page, total, { q }) };
    }
    return {
      ...(await this.timeline(await this.posts.explore(me, page), me, page, '/explore')),
      watch: 'explore',
    };
  }

  @Get('user/:username')
  @Render('users/profile')
  async profile(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Query('page') rawPage: unknown,
  ) {
    const user = await this.users.findByUsernameOrFail(username);
    const page = this.pageOf(rawPage);
    const path = `/user/${encodeURIComponent(user.username)}`;
    return {
      ...(await this.timeline(await this.posts.byAuthor(user, page), me, page, path)),
      user,
      isMe: user.id === me.id,
      following: user.id !== me.id && (await this.follows.isFollowing(me, user)),
      watch: `user:${user.id}`,
    };
  }

  /** The small card a username opens on hover or focus (views/users/card.hbs). */
  @Get('user/:username/card')
  @Render('users/card')
  async card(@Param('username') username: string, @CurrentUser() me: User) {
    const user = await this.users.findByUsernameOrFail(username);
    return {
      layout: false,
      user,
      isMe: user.id === me.id,
      following: user.id !== me.id && (await this.follows.isFollowing(me, user)),
    };
  }

  /** A page of posts and its pager (the query read one post past the page). */
  private async timeline(fetched: Post[], me: User, page: PageRequest, path: string) {
    return {
      posts: await this.posts.views(fetched.slice(0, page.perPage), me),
      pager: lookaheadPager(path, page, fetched.length),
      firstPage: page.page === 1,
    };
  }

  private pageOf(raw: unknown): PageRequest {
    return parsePage(raw, this.config.getOrThrow('app.postsPerPage', { infer: true }));
  }
}
