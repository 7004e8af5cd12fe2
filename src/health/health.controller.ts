import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/decorators';
import { NotificationStreamService } from '../notifications/notification-stream.service';

@Controller('health')
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class HealthController {
  constructor(private readonly streams: NotificationStreamService) {}

  /** Liveness plus this process's open event streams (for load balancers and metrics). */
  @Public()
  @Get()
  health() {
    return { status: 'ok', openStreams: this.streams.openCount };
  }
}
