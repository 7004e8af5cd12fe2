import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ParseIdPipe } from './parse-id.pipe';

/**
 * The raw `:id` path segment, parsed by ParseIdPipe. A custom decorator, so the global
 * ValidationPipe's primitive conversion (`Number("0x39")` is 57) never sees it first: only a
 * canonical decimal id is an id.
 */
const RawIdParam = createParamDecorator(
  (name: string, ctx: ExecutionContext): unknown =>
    ctx.switchToHttp().getRequest<Request>().params[name],
);

export const IdParam = (name = 'id') => RawIdParam(name, ParseIdPipe);

/** The OpenAPI description of `:id` (a custom decorator is not documented by itself). */
export const ID_PARAM = {
  name: 'id',
  type: 'integer',
  description: 'A canonical decimal id (1 to 2147483647)',
} as const;
