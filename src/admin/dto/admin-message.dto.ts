import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/api/page-query.dto';
import { CanonicalId } from '../../common/api/parse-id.pipe';
import { Message } from '../../messages/message.entity';

export class UserRefDto {
  @ApiProperty() id!: number;
  @ApiProperty() username!: string;
}

export class AdminMessageDto {
  @ApiProperty() id!: number;
  @ApiProperty({ type: UserRefDto }) sender!: UserRefDto;
  @ApiProperty({ type: UserRefDto }) recipient!: UserRefDto;
  @ApiProperty() body!: string;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
}

export function mapAdminMessage(message: Message): AdminMessageDto {
  return {
    id: message.id,
    sender: { id: message.sender.id, username: message.sender.username },
    recipient: { id: message.recipient.id, username: message.recipient.username },
    body: message.body,
    timestamp: message.timestamp.toISOString(),
  };
}

export class MessageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Sender user id' })
  @IsOptional()
  @CanonicalId()
  sender?: number;

  @ApiPropertyOptional({ description: 'Recipient user id' })
  @IsOptional()
  @CanonicalId()
  recipient?: number;
}
