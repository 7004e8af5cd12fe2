import { ApiProperty } from '@nestjs/swagger';

/** The body of every JSON error. */
export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'per_page must be a whole number',
  })
  message!: string | string[];
  @ApiProperty({ example: 'Bad Request' }) error!: string;
}
