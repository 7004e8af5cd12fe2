import { PickType } from '@nestjs/swagger';
import { RegisterDto } from './register.dto';

/** The new password from a reset link: the same rules as registration, typed twice. */
export class ResetPasswordDto extends PickType(RegisterDto, ['password', 'password2'] as const) {}
