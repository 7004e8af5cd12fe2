import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { API_CLEAN_TEXT_MESSAGE, CleanText } from '../../common/forms/form-validators';

export class TokenRequestDto {
  @ApiProperty({ example: 'susan' })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  @CleanText({ message: API_CLEAN_TEXT_MESSAGE })
  username!: string;

  @ApiProperty({ example: 'correct horse battery' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  @CleanText({ message: API_CLEAN_TEXT_MESSAGE })
  password!: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <token>`' })
  access_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the token expires', example: 86400 })
  expires_in!: number;
}
