import { applyDecorators, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Min } from 'class-validator';

/** The largest id an INT column holds. */
const MAX_ID = 2_147_483_647;

/**
 * A canonical decimal id: digits only, no sign, leading zero, exponent, hex or spaces. "abc",
 * "-1", "1.5", "0x39", "+57", " 57", "057" and "1e9" are 400 before any lookup.
 */
export function parseId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_ID) {
    return null;
  }
  return Number(value);
}

@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown): number {
    const id = parseId(value);
    if (id === null) {
      throw new BadRequestException('id must be a positive whole number');
    }
    return id;
  }
}

/**
 * A query or body field that holds an id: converted only from its canonical decimal spelling;
 * anything else stays as it came and fails IsInt (400).
 */
export const CanonicalId = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => parseId(value) ?? value),
    IsInt({ message: ({ property }) => `${property} must be a user id (a positive whole number)` }),
    Min(1),
  );
