import { Injectable } from '@nestjs/common';
import { NotificationBus, StreamEvent, StreamListener } from './notification-bus';

/**
 * Per-user registry of listeners: delivering an event costs O(that user's connections), not a
 * filter over every open stream.
 */
@Injectable()
export class InProcessNotificationBus extends NotificationBus {
  private readonly listeners = new Map<number, Set<StreamListener>>();
  private count = 0;

  publish(userId: number, event: StreamEvent): void {
    this.listeners.get(userId)?.forEach((listener) => listener(event));
  }

  subscribe(userId: number, listener: StreamListener): () => void {
    let forUser = this.listeners.get(userId);
    if (!forUser) {
      forUser = new Set();
      this.listeners.set(userId, forUser);
    }
    forUser.add(listener);
    this.count++;
    let subscribed = true;
    return () => {
      if (!subscribed) {
        return;
      }
      subscribed = false;
      this.count--;
      forUser.delete(listener);
      if (forUser.size === 0 && this.listeners.get(userId) === forUser) {
        this.listeners.delete(userId);
      }
    };
  }

  get subscriptionCount(): number {
    return this.count;
  }

  publishToAll(event: StreamEvent): void {
    this.listeners.forEach((forUser) => forUser.forEach((listener) => listener(event)));
  }
}
