import { INestApplication } from '@nestjs/common';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { SseClient, StreamedEvent } from './sse-client';

/**
 * The events each stream got before a marker announced to everyone now: "nothing arrived" is
 * never a sleep. Announcements reach every stream in its user's order, so what came after the
 * marker was not there when it arrived.
 */
export async function eventsBeforeMarker(
  app: INestApplication,
  ...clients: SseClient[]
): Promise<StreamedEvent[][]> {
  const markers = (client: SseClient) => client.events.filter((e) => e.name === 'marker');
  const seen = clients.map((client) => markers(client).length);
  await app.get(NotificationsService).announce('marker', {});
  return Promise.all(
    clients.map(async (client, i) => {
      await client.waitFor((c) => markers(c).length > seen[i]);
      const names = client.events.map((e) => e.name);
      return client.events.slice(0, names.lastIndexOf('marker'));
    }),
  );
}
