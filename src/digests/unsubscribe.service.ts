import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from '../users/user.entity';
import { UnsubscribeClaim, UnsubscribeLinks, UnsubscribeScope } from './unsubscribe-links';

/** The email choices each scope turns off. */
const TURNS_OFF: Record<UnsubscribeScope, Partial<User>> = {
  all: {
    emailFollows: false,
    emailMentions: false,
    emailMessages: false,
    emailAnnouncements: false,
  },
  follows: { emailFollows: false },
  mentions: { emailMentions: false },
  messages: { emailMessages: false },
  announcements: { emailAnnouncements: false },
};

/** What the unsubscribe pages show: the link's scope, and where the button posts. */
export interface UnsubscribeView {
  action: string;
  all: boolean;
  /** For a link of one kind: the translation key of its name. */
  kindKey: string | null;
}

/** Unsubscribe links: checked, then shown (GET) or applied (POST). */
@Injectable()
export class UnsubscribeService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly links: UnsubscribeLinks,
  ) {}

  /** The confirmation page; changes nothing. 400 for a link that is not one of ours. */
  page(token: string): UnsubscribeView {
    return this.view(token, this.claim(token));
  }

  /**
   * Turns the link's emails off. The same answer whatever the account is now (disabled,
   * deleted: then nothing is left to change), so the link tells nothing about it.
   */
  async unsubscribe(token: string): Promise<UnsubscribeView> {
    const claim = this.claim(token);
    await this.users.update({ id: claim.userId }, TURNS_OFF[claim.scope]);
    return this.view(token, claim);
  }

  private claim(token: string): UnsubscribeClaim {
    const claim = this.links.verify(token);
    if (!claim) {
      throw new BadRequestException('email.unsubscribe_invalid');
    }
    return claim;
  }

  private view(token: string, claim: UnsubscribeClaim): UnsubscribeView {
    return {
      action: `/unsubscribe/${token}`,
      all: claim.scope === 'all',
      kindKey: claim.scope === 'all' ? null : `email.kind_${claim.scope}`,
    };
  }
}
