import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { SessionsService } from '../auth/sessions.service';
import { PageRequest } from '../common/pagination';
import { ReadMarksService } from '../conversations/read-marks.service';
import { Role, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AdminUserDto, mapAdminUser, UpdateUserDto } from './dto/admin-user.dto';

@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly readMarks: ReadMarksService,
    private readonly sessions: SessionsService,
  ) {}

  /** Users whose name or email contains `q`, each with their unread count. */
  async search(q: string | undefined, page: PageRequest): Promise<[AdminUserDto[], number]> {
    const [users, total] = await this.users.search(q, page);
    const unread = await this.readMarks.unreadCounts(users);
    return [users.map((u) => mapAdminUser(u, unread.get(u.id) ?? 0)), total];
  }

  async get(id: number): Promise<AdminUserDto> {
    return this.view(await this.find(id));
  }

  /**
   * An admin may not disable or demote themselves: they would lose the access that undoes it.
   * Disabling a user ends their sessions, which logs them out everywhere at once.
   */
  async update(admin: User, id: number, body: UpdateUserDto): Promise<AdminUserDto> {
    const user = await this.find(id);
    if (user.id === admin.id && (body.disabled === true || body.role === Role.User)) {
      throw new BadRequestException('errors.admin_self_lockout');
    }
    await this.users.update(user, {
      ...(body.role !== undefined ? { role: body.role } : {}),
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
      ...(body.about_me !== undefined ? { aboutMe: body.about_me || null } : {}),
    });
    if (body.disabled) {
      await this.sessions.endAll(user.id);
    }
    return this.view(user);
  }

  private async find(id: number): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) {
      throw new NotFoundException('errors.user_not_found');
    }
    return user;
  }

  private async view(user: User): Promise<AdminUserDto> {
    return mapAdminUser(user, await this.readMarks.unreadCount(user));
  }
}
