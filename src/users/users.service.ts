import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, Repository } from 'typeorm';
import { PageRequest } from '../common/pagination';
import { Role, User } from './user.entity';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role?: Role;
}

/** last_seen is written at most this often per user, not on every request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ username });
  }

  /** Usernames are unique regardless of case, on SQLite as on MySQL's _ci collations. */
  async isUsernameTaken(username: string, exceptUserId?: number): Promise<boolean> {
    const found = await this.users
      .createQueryBuilder('u')
      .select('u.id')
      .where('LOWER(u.username) = LOWER(:username)', { username })
      .getOne();
    return found !== null && found.id !== exceptUserId;
  }

  async isEmailTaken(email: string): Promise<boolean> {
    return this.users.existsBy({ email: email.toLowerCase() });
  }

  create(data: NewUser): Promise<User> {
    const now = new Date();
    return this.users.save(
      this.users.create({
        ...data,
        email: data.email.toLowerCase(),
        role: data.role ?? Role.User,
        disabled: false,
        aboutMe: null,
        createdAt: now,
        lastSeen: now,
        lastMessageReadTime: null,
      }),
    );
  }

  async updateProfile(user: User, changes: { username: string; aboutMe: string | null }) {
    await this.users.update(user.id, changes);
    Object.assign(user, changes);
  }

  async setRole(user: User, role: Role): Promise<void> {
    await this.users.update(user.id, { role });
    user.role = role;
  }

  async touchLastSeen(user: User): Promise<void> {
    const now = new Date();
    if (now.getTime() - user.lastSeen.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      await this.users.update(user.id, { lastSeen: now });
      user.lastSeen = now;
    }
  }

  /**
   * Reads the user inside a transaction and, on MySQL, locks the row until it ends: the
   * per-user serialisation point for changes to their unread count. (SQLite transactions are
   * already serialised by TransactionService.)
   */
  async lockForUpdate(manager: EntityManager, id: number): Promise<User> {
    const sqlite = manager.connection.options.type === 'better-sqlite3';
    return manager.getRepository(User).findOneOrFail({
      where: { id },
      lock: sqlite ? undefined : { mode: 'pessimistic_write' },
    });
  }

  async setLastMessageReadTime(manager: EntityManager, user: User, at: Date): Promise<void> {
    await manager.getRepository(User).update(user.id, { lastMessageReadTime: at });
    user.lastMessageReadTime = at;
  }

  /** Admin search: `q` matches part of the username or email. */
  search(q: string | undefined, page: PageRequest): Promise<[User[], number]> {
    const query = this.users.createQueryBuilder('u').orderBy('u.id', 'ASC');
    if (q) {
      // "!" escapes LIKE wildcards: a backslash means different things on SQLite and MySQL.
      const pattern = `%${q.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query.where(
        new Brackets((w) =>
          w
            .where("LOWER(u.username) LIKE :pattern ESCAPE '!'", { pattern })
            .orWhere("u.email LIKE :pattern ESCAPE '!'", { pattern }),
        ),
      );
    }
    return query.skip(page.offset).take(page.perPage).getManyAndCount();
  }

  async update(
    user: User,
    changes: Partial<Pick<User, 'role' | 'disabled' | 'aboutMe'>>,
  ): Promise<User> {
    await this.users.update(user.id, changes);
    return Object.assign(user, changes);
  }

  count(): Promise<number> {
    return this.users.count();
  }

  list(page: PageRequest): Promise<[User[], number]> {
    return this.users.findAndCount({
      order: { username: 'ASC' },
      skip: page.offset,
      take: page.perPage,
    });
  }
}
