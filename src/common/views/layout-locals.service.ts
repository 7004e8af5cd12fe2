import { Injectable } from '@nestjs/common';
import type { User } from '../../users/user.entity';

export type LayoutLocalsProvider = (user: User) => Promise<Record<string, unknown>>;

/**
 * Feature modules add what the layout shows for a logged-in user (e.g. the unread badge)
 * without the layout code depending on them.
 */
@Injectable()
export class LayoutLocalsService {
  private readonly providers: LayoutLocalsProvider[] = [];

  register(provider: LayoutLocalsProvider): void {
    this.providers.push(provider);
  }

  async forUser(user: User): Promise<Record<string, unknown>> {
    const parts = await Promise.all(this.providers.map((provide) => provide(user)));
    return Object.assign({}, ...parts) as Record<string, unknown>;
  }
}
