import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/api/page-query.dto';
import { CanonicalId } from '../../common/api/parse-id.pipe';
import { API_CLEAN_TEXT_MESSAGE, CleanText } from '../../common/forms/form-validators';
import { Post, POST_COLUMN_LENGTH } from '../../posts/post.entity';
import { UserRefDto } from './admin-message.dto';

export class AdminPostDto {
  @ApiProperty() id!: number;
  @ApiProperty({ type: UserRefDto }) author!: UserRefDto;
  @ApiProperty() body!: string;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
}

/** A post with its author loaded (PostsService.search joins it). */
export function mapAdminPost(post: Post): AdminPostDto {
  return {
    id: post.id,
    author: { id: post.author.id, username: post.author.username },
    body: post.body,
    timestamp: post.timestamp.toISOString(),
  };
}

export class PostQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: "Part of the post's text or of its author's username" })
  @IsOptional()
  @IsString()
  @MaxLength(POST_COLUMN_LENGTH)
  @CleanText({ message: API_CLEAN_TEXT_MESSAGE })
  q?: string;

  @ApiPropertyOptional({ description: 'Author user id' })
  @IsOptional()
  @CanonicalId()
  author?: number;
}
