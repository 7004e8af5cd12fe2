import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { EntityMetadata, In, LessThan, MoreThan, Repository } from 'typeorm';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { User } from '../users/user.entity';
import { Session } from './session.entity';
import { SESSION_ENDED_EVENT, SessionEndedEvent } from './session-ended.event';

type Column = EntityMetadata['columns'][number];

/** activeUser's SELECT, built on first use, and the user columns it loads. */
interface UserSelect {
  sql: string;
  columns: Column[];
}

/** Server-side sessions: what makes logout, "log out everywhere" and disabling take effect. */
@Injectable()
export class SessionsService {
  private userSelect: UserSelect | null = null;

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly events: EventEmitter2,
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
   * The user of a live session, unless they are disabled; null otherwise. It runs on every
   * authenticated request and stream connect, so it is one plain SELECT on the two primary
   * keys with `?` parameters: the driver keeps one prepared statement for it, where a
   * QueryBuilder would build the SQL anew each time and, on SQLite, write the user id into
   * it (a statement prepared per user).
   */
  async activeUser(userId: number, sessionId: string): Promise<User | null> {
    const { sql, columns } = this.activeUserSelect();
    const rows = await this.sessions.query<Record<string, unknown>[]>(sql, [sessionId, userId]);
    const user = rows.length ? this.hydrateUser(rows[0], columns) : null;
    return user && !user.disabled ? user : null;
  }

  /** Logout: this session's token is refused from now on and its streams end at once. */
  async end(userId: number, sessionId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId, userId });
    await this.announceEnd({ userId, sessionId });
  }

  /** "Log out everywhere", or an account disabled: every session and stream of the user ends. */
  async endAll(userId: number): Promise<void> {
    await this.sessions.delete({ userId });
    await this.announceEnd({ userId, sessionId: null });
  }

  /**
   * The sessions that still exist among `ids`: open streams check theirs after fan-out was
   * away, in case the end of one was lost with it.
   */
  async live(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) {
      return new Set();
    }
    const rows = await this.sessions.find({
      select: { id: true },
      where: { id: In(ids), expiresAt: MoreThan(new Date()) },
    });
    return new Set(rows.map((row) => row.id));
  }

  private async announceEnd(event: SessionEndedEvent): Promise<void> {
    await this.events.emitAsync(SESSION_ENDED_EVENT, event);
  }

  private activeUserSelect(): UserSelect {
    if (!this.userSelect) {
      const { connection } = this.sessions.manager;
      const users = connection.getMetadata(User);
      const quote = (name: string) => connection.driver.escape(name);
      // The columns a find would load: not those marked `select: false`.
      const columns = users.columns.filter((column) => column.isSelect && !column.isVirtual);
      const list = columns.map((column) => `u.${quote(column.databaseName)}`).join(', ');
      this.userSelect = {
        columns,
        sql:
          `SELECT ${list} FROM ${quote(this.sessions.metadata.tableName)} s ` +
          `INNER JOIN ${quote(users.tableName)} u ON u.id = s.user_id ` +
          'WHERE s.id = ? AND s.user_id = ?',
      };
    }
    return this.userSelect;
  }

  /** A users row as TypeORM would load it: each column converted by the driver. */
  private hydrateUser(row: Record<string, unknown>, columns: Column[]): User {
    const { connection } = this.sessions.manager;
    const user = connection.getMetadata(User).create(undefined, { fromDeserializer: true }) as User;
    for (const column of columns) {
      column.setEntityValue(
        user,
        connection.driver.prepareHydratedValue(row[column.databaseName], column),
      );
    }
    return user;
  }
}
