import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PostsModule } from '../posts/posts.module';
import { Fts5PostSearch } from './fts5-post-search';
import { InnodbPostSearch } from './innodb-post-search';
import { POST_SEARCH_ENGINE, PostSearchEngine } from './post-search-engine';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [PostsModule],
  controllers: [SearchController],
  providers: [
    SearchService,
    {
      // The engine of the database the posts are in.
      provide: POST_SEARCH_ENGINE,
      inject: [DataSource],
      useFactory: (dataSource: DataSource): PostSearchEngine =>
        dataSource.options.type === 'better-sqlite3'
          ? new Fts5PostSearch(dataSource)
          : new InnodbPostSearch(dataSource),
    },
  ],
})
export class SearchModule {}
