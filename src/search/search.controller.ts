import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Query, Render } from '@nestjs/common';
import { CurrentUser } from '../auth/decorators';
import { User } from '../users/user.entity';
import { SearchService } from './search.service';

@Controller('search')
// A browser page, not part of the documented JSON API.
@ApiExcludeController()
export class SearchController {
  constructor(private readonly search: SearchService) {}

  /** Posts that contain every word of ?q=, best match first, paginated. */
  @Get()
  @Render('search/results')
  results(@CurrentUser() me: User, @Query('q') q: unknown, @Query('page') page: unknown) {
    return this.search.page(me, q, page);
  }
}
