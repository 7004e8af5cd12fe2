import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, In, QueryFailedError, Repository } from 'typeorm';
import { fieldError, FormErrors } from '../common/forms/validate-form';
import { LanguageCode, supportedLanguage } from '../common/i18n/languages';
import { PageRequest } from '../common/pagination';
import { EditProfileDto } from './dto/edit-profile.dto';
import { Role, User } from './user.entity';
import { prefixSearchQuery, usernamePrefix } from './user-search';
import { AccountFieldError, AccountFieldKey, normaliseUsername, usernameProblem } from './username';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role?: Role;
  /** The language of the pages the account was made on; it decides the language of emails. */
  language?: string;
}

/** last_seen is written at most this often per user, not on every request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** Whatever the case it is typed in: usernames are unique regardless of case. */
  findByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .where('u.username_lower = LOWER(:username)', { username: normaliseUsername(username) })
      .getOne();
  }

  /** A user by name, for pages about them: 404 for an unknown name. */
  /** The users with these ids, in no particular order. */
  findByIds(ids: number[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.findBy({ id: In(ids) });
  }

  /** The users with these lower-cased names (mentions), in no particular order. */
  findByUsernamesLower(names: string[]): Promise<User[]> {
    if (names.length === 0) {
      return Promise.resolve([]);
    }
    return this.users
      .createQueryBuilder('u')
      .where('u.username_lower IN (:...names)', { names })
      .getMany();
  }

  async findByUsernameOrFail(username: string): Promise<User> {
    const user = await this.findByUsername(username);
    if (!user) {
      throw new NotFoundException('errors.user_not_found');
    }
    return user;
  }

  async isUsernameTaken(username: string, exceptUserId?: number): Promise<boolean> {
    const found = await this.findByUsername(username);
    return found !== null && found.id !== exceptUserId;
  }

  /**
   * The form error for giving this username to a new account (or to `exceptUserId`'s), or
   * null. A check ahead of the write, for a friendly answer: the unique index on
   * username_lower settles races (see create and editProfile).
   */
  async usernameError(username: string, exceptUserId?: number): Promise<AccountFieldKey | null> {
    const name = normaliseUsername(username);
    const problem = usernameProblem(name);
    if (problem) {
      return problem;
    }
    return (await this.isUsernameTaken(name, exceptUserId)) ? 'validation.username_taken' : null;
  }

  async isEmailTaken(email: string): Promise<boolean> {
    return this.users.existsBy({ email: email.toLowerCase() });
  }

  /**
   * Stores a new account, for every path that makes one (registration, the CLI, tests), in
   * the caller's transaction when given its manager (registration queues the confirmation
   * email with it). Throws AccountFieldError for an unacceptable username, or a username or
   * email another account holds, also when that account was stored a moment ago by a
   * concurrent request.
   */
  async create(data: NewUser, manager?: EntityManager): Promise<User> {
    const users = manager ? manager.getRepository(User) : this.users;
    const username = this.acceptableUsername(data.username);
    const email = data.email.toLowerCase();
    const now = new Date();
    try {
      return await users.save(
        users.create({
          ...data,
          username,
          email,
          language: supportedLanguage(data.language),
          role: data.role ?? Role.User,
          disabled: false,
          aboutMe: null,
          createdAt: now,
          lastSeen: now,
        }),
      );
    } catch (error) {
      throw await this.explainConflict(error, username, undefined, email);
    }
  }

  /**
   * Saves the profile form, or returns the errors to show next to the fields; a rename that
   * raced another account to the same name gets the form error too.
   */
  async editProfile(
    user: User,
    changes: { username: string; aboutMe: string | null },
  ): Promise<FormErrors<EditProfileDto> | null> {
    const problem = await this.usernameError(changes.username, user.id);
    if (problem) {
      return fieldError<EditProfileDto>('username', problem);
    }
    const username = normaliseUsername(changes.username);
    try {
      await this.users.update(user.id, { username, aboutMe: changes.aboutMe });
    } catch (error) {
      const conflict = await this.explainConflict(error, username, user.id);
      if (conflict instanceof AccountFieldError) {
        return fieldError<EditProfileDto>('username', conflict.key);
      }
      throw conflict;
    }
    Object.assign(user, { username, aboutMe: changes.aboutMe });
    return null;
  }

  private acceptableUsername(raw: string): string {
    const username = normaliseUsername(raw);
    const problem = usernameProblem(username);
    if (problem) {
      throw new AccountFieldError('username', problem, username);
    }
    return username;
  }

  /** A unique-index refusal as the field it concerns; any other error as it is. */
  private async explainConflict(
    error: unknown,
    username: string,
    exceptUserId?: number,
    email?: string,
  ) {
    if (!(error instanceof QueryFailedError) || !/unique|duplicate/i.test(error.message)) {
      return error;
    }
    if (await this.isUsernameTaken(username, exceptUserId)) {
      return new AccountFieldError('username', 'validation.username_taken', username);
    }
    if (email !== undefined && (await this.isEmailTaken(email))) {
      return new AccountFieldError('email', 'validation.email_taken', email);
    }
    return error;
  }

  async setRole(user: User, role: Role): Promise<void> {
    await this.users.update(user.id, { role });
    user.role = role;
  }

  /**
   * A visit: last_seen moves at most once per LAST_SEEN_RESOLUTION_MS, and `language`, the
   * language the visit's pages are in, is remembered when it changed (it decides the language
   * of the user's emails). Nothing is written on most requests.
   */
  async recordVisit(user: User, language?: LanguageCode): Promise<void> {
    const now = new Date();
    const changes: Partial<Pick<User, 'lastSeen' | 'language'>> = {};
    if (now.getTime() - user.lastSeen.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      changes.lastSeen = now;
    }
    if (language && language !== user.language) {
      changes.language = language;
    }
    if (changes.lastSeen || changes.language) {
      await this.users.update(user.id, changes);
      Object.assign(user, changes);
    }
  }

  /**
   * Reads the users inside a transaction and, on MySQL, locks their rows until it ends: the
   * per-user serialisation point for their unread counts and their event numbers (SQLite
   * transactions are already serialised by TransactionService). One statement, which reads
   * and locks the rows in ascending id order: every transaction that locks more than one
   * user row takes them in the same order, so no two can each hold a row the other waits
   * for. Returned in the order asked; 404 if one is gone.
   */
  async lockAllForUpdate(manager: EntityManager, ids: number[]): Promise<User[]> {
    const sqlite = manager.connection.options.type === 'better-sqlite3';
    const rows = await manager.getRepository(User).find({
      where: { id: In([...new Set(ids)]) },
      order: { id: 'ASC' },
      lock: sqlite ? undefined : { mode: 'pessimistic_write' },
    });
    const byId = new Map(rows.map((user) => [user.id, user]));
    return ids.map((id) => {
      const user = byId.get(id);
      if (!user) {
        throw new NotFoundException('errors.user_not_found');
      }
      return user;
    });
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

  /**
   * Explore's search: users whose name starts with `term`, whatever its case, by name.
   * A term no username can start with matches nothing without asking the database.
   */
  searchByPrefix(term: string, page: PageRequest): Promise<[User[], number]> {
    const prefix = usernamePrefix(term);
    if (prefix === null) {
      return Promise.resolve([[], 0]);
    }
    return prefixSearchQuery(this.users, prefix)
      .skip(page.offset)
      .take(page.perPage)
      .getManyAndCount();
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
