import { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { onPrimaryMessage, sendToPrimary } from '../../cluster/worker-channel';
import { InProcessNotificationBus } from './in-process-notification-bus';
import { BusEnvelope, deliverEnvelope, StreamEvent } from './notification-bus';

/**
 * Fan-out between the workers of one machine's cluster (WORKERS > 1, no REDIS_URL): each event
 * goes to this worker's streams at once and over the cluster channel to the primary, which
 * hands it to every other worker. The channel is a pipe: it keeps each worker's order and
 * loses nothing while both ends live. A worker that dies takes its streams with it; their
 * clients reconnect to another worker and resume from the log, as they do between machines.
 */
export class ClusterNotificationBus
  extends InProcessNotificationBus
  implements OnModuleInit, OnModuleDestroy
{
  private stopListening: () => void = () => undefined;

  onModuleInit(): void {
    this.stopListening = onPrimaryMessage((message) => {
      if (message.kind === 'microblog:bus') {
        deliverEnvelope(this.receiver, message.envelope as BusEnvelope);
      }
    });
  }

  onModuleDestroy(): void {
    this.stopListening();
  }

  override publish(userId: number, event: StreamEvent): void {
    super.publish(userId, event);
    this.relay({ kind: 'event', userId, event });
  }

  override publishToAll(event: StreamEvent): void {
    super.publishToAll(event);
    this.relay({ kind: 'event', userId: null, event });
  }

  override publishToTopics(topics: string[], json: string): void {
    super.publishToTopics(topics, json);
    this.relay({ kind: 'topics', topics, json });
  }

  private relay(envelope: BusEnvelope): void {
    sendToPrimary({ kind: 'microblog:bus', envelope });
  }
}
