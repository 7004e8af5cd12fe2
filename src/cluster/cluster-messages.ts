import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

/**
 * What the cluster's primary and its workers say to each other over node:cluster's channel.
 * Every message has a `kind`; anything else on the channel (Node's own) is left alone.
 */
export type ClusterMessage =
  /** A worker's bus traffic, which the primary relays to every other worker. */
  | { kind: 'microblog:bus'; envelope: unknown }
  /** A worker counts a request against a rate limit the primary keeps for all of them. */
  | { kind: 'microblog:rate-limit'; id: number; args: RateLimitArgs }
  | { kind: 'microblog:rate-limit-reply'; id: number; record: ThrottlerStorageRecord };

/** ThrottlerStorage.increment's arguments: key, ttl, limit, blockDuration, throttlerName. */
export type RateLimitArgs = [string, number, number, number, string];

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { kind?: unknown }).kind === 'string' &&
    (message as { kind: string }).kind.startsWith('microblog:')
  );
}
