import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { NotificationBus } from '../notifications/bus/notification-bus';
import { User } from '../users/user.entity';
import { Session } from './session.entity';

/** Server-side sessions: what makes logout, "log out everywhere" and disabling take effect. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly bus: NotificationBus,
  ) {}

  /** A new session for the user, valid as long as its token; prunes their expired ones. */
  async start(userId: number, lifetimeSeconds: number): Promise<string> {
    const now = new Date();
    await this.sessions.delete({ userId, expiresAt: LessThan(now) });
    const id = randomBytes(16).toString('base64url');
    await this.sessions.insert({
      id,
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
    });
    return id;
  }

  /**
   * The user of a live session, unless they are disabled; null otherwise. One indexed query
   * on every authenticated request: the session's primary key joined to the user's.
   */
  async activeUser(userId: number, sessionId: string): Promise<User | null> {
    const session = await this.sessions
      .createQueryBuilder('s')
      .innerJoinAndSelect('s.user', 'u')
      .where('s.id = :sessionId AND s.user_id = :userId', { sessionId, userId })
      .getOne();
    return session && !session.user.disabled ? session.user : null;
  }

  /** Logout: this session's token is refused from now on and its streams end at once. */
  async end(userId: number, sessionId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId, userId });
    this.bus.endStreams(userId, sessionId);
  }

  /** "Log out everywhere", or an account disabled: every session and stream of the user ends. */
  async endAll(userId: number): Promise<void> {
    await this.sessions.delete({ userId });
    this.bus.endStreams(userId, null);
  }

  countFor(userId: number): Promise<number> {
    return this.sessions.countBy({ userId });
  }
}
