import { Injectable } from '@nestjs/common';
import { NotificationBus, StreamEvent } from './notification-bus';

/** A single process: everything goes straight to this process's stream registry. */
@Injectable()
export class InProcessNotificationBus extends NotificationBus {
  publish(userId: number, event: StreamEvent): void {
    this.receiver?.deliver(userId, event);
  }

  publishToAll(event: StreamEvent): void {
    this.receiver?.deliver(null, event);
  }

  publishToTopics(topics: string[], json: string): void {
    this.receiver?.deliverToTopics(topics, json);
  }
}
