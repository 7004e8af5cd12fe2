import { ApiProperty } from '@nestjs/swagger';

export class StatsDto {
  @ApiProperty() users!: number;
  @ApiProperty() messages!: number;
  @ApiProperty({ description: 'Stored notification state rows (per user and for everyone)' })
  notifications!: number;
  @ApiProperty() posts!: number;
  @ApiProperty({ description: 'Follow relations (follower, followed)' }) follows!: number;
  @ApiProperty({ description: 'Lines of the notification centers, over all users' })
  notification_groups!: number;
  @ApiProperty({ description: 'Event streams open on the process that answered' })
  open_streams!: number;
}
