import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** A positive integer id from the path: "abc", "-1", "1.5" are 400 before any lookup. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > 2_147_483_647) {
      throw new BadRequestException('id must be a positive whole number');
    }
    return Number(value);
  }
}
