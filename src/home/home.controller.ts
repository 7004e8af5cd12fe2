import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Query, Render } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CurrentUser } from '../auth/decorators';
import { buildPager, parsePage } from '../common/pagination';
import { AllConfigType } from '../config/config.type';
import { ConversationsService } from '../conversations/conversations.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';

/** How many conversations the home page shows before the people list. */
const RECENT_CONVERSATIONS = 5;

@Controller()
// A browser page, not part of the documented JSON API.
@ApiExcludeController()
export class HomeController {
  constructor(
    private readonly users: UsersService,
    private readonly conversations: ConversationsService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  /** Your recent conversations first, then people to write to. */
  @Get()
  @Render('home')
  async home(@CurrentUser() me: User, @Query('page') rawPage: unknown) {
    const page = parsePage(rawPage, this.config.getOrThrow('app.postsPerPage', { infer: true }));
    const [[recent, conversationCount], [users, total]] = await Promise.all([
      this.conversations.list(me, { page: 1, perPage: RECENT_CONVERSATIONS, offset: 0 }),
      this.users.list(page),
    ]);
    return {
      recent,
      moreConversations: conversationCount > recent.length,
      users,
      pager: buildPager('/', page, total),
    };
  }
}
