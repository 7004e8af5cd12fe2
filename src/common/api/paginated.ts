import { Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Request } from 'express';
import { PageRequest } from '../pagination';
import { PageQueryDto } from './page-query.dto';

export class PageMetaDto {
  @ApiProperty() page!: number;
  @ApiProperty() per_page!: number;
  @ApiProperty() total_pages!: number;
  @ApiProperty() total_items!: number;
}

export class PageLinksDto {
  @ApiProperty() self!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) next!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) prev!: string | null;
}

export interface Paginated<T> {
  items: T[];
  meta: PageMetaDto;
  links: PageLinksDto;
}

/** An OpenAPI class for the envelope of a list of `item`s. */
export function PaginatedDto<T>(item: Type<T>, name: string) {
  class Envelope implements Paginated<T> {
    @ApiProperty({ type: item, isArray: true }) items!: T[];
    @ApiProperty({ type: PageMetaDto }) meta!: PageMetaDto;
    @ApiProperty({ type: PageLinksDto }) links!: PageLinksDto;
  }
  Object.defineProperty(Envelope, 'name', { value: name });
  return Envelope;
}

export function toPageRequest(query: PageQueryDto): PageRequest {
  return { page: query.page, perPage: query.per_page, offset: (query.page - 1) * query.per_page };
}

/** {items, meta, links}: links repeat the request's own query with another page. */
export function paginate<T>(
  req: Request,
  page: PageRequest,
  items: T[],
  total: number,
): Paginated<T> {
  const totalPages = Math.ceil(total / page.perPage);
  const link = (n: number) => {
    const url = new URL(req.originalUrl, 'http://api.invalid');
    url.searchParams.set('page', String(n));
    url.searchParams.set('per_page', String(page.perPage));
    return url.pathname + url.search;
  };
  return {
    items,
    meta: { page: page.page, per_page: page.perPage, total_pages: totalPages, total_items: total },
    links: {
      self: link(page.page),
      next: page.page < totalPages ? link(page.page + 1) : null,
      prev: page.page > 1 ? link(Math.min(page.page - 1, Math.max(totalPages, 1))) : null,
    },
  };
}
