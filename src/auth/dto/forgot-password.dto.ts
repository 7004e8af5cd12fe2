import { PickType } from '@nestjs/swagger';
import { RegisterDto } from './register.dto';

/** "Forgot your password?": the address to send the link to, checked as registration does. */
export class ForgotPasswordDto extends PickType(RegisterDto, ['email'] as const) {}
