import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
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

  list(page: PageRequest): Promise<[User[], number]> {
    return this.users.findAndCount({
      order: { username: 'ASC' },
      skip: page.offset,
      take: page.perPage,
    });
  }
}
