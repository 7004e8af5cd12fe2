import { ApiProperty } from '@nestjs/swagger';

export class StatsDto {
  @ApiProperty() users!: number;
  @ApiProperty() messages!: number;
  @ApiProperty() notifications!: number;
  @ApiProperty({ description: 'Event streams open on the process that answered' })
  open_streams!: number;
}
