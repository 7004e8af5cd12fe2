import { InProcessNotificationBus } from './in-process-notification-bus';
import { StreamEvent, StreamReceiver } from './notification-bus';

const event = (userId: number | null, seq: number): StreamEvent => ({
  userId,
  seq,
  announcementsBefore: 0,
  name: 'unread_message_count',
  json: '{}',
});

describe(InProcessNotificationBus.name, () => {
  let sut: InProcessNotificationBus;
  let received: string[];

  beforeEach(() => {
    sut = new InProcessNotificationBus();
    received = [];
    const receiver: StreamReceiver = {
      deliver: (userId, e) => received.push(`deliver ${userId} ${e.seq}`),
      resync: () => received.push('resync'),
      deliverToTopics: (topics, json) => received.push(`topics ${topics.join(',')} ${json}`),
    };
    sut.attach(receiver);
  });

  it("should hand each event to the registry with its user, or null for everyone's", () => {
    sut.publish(1, event(1, 10));
    sut.publishToAll(event(null, 11));
    expect(received).toEqual(['deliver 1 10', 'deliver null 11']);
  });

  it('should hand a live frame to the registry with its topics', () => {
    sut.publishToTopics(['explore', 'user:3'], '{"id":7}');
    expect(received).toEqual(['topics explore,user:3 {"id":7}']);
  });

  it('should drop what it carries while no registry is attached', () => {
    const detached = new InProcessNotificationBus();
    expect(() => detached.publish(1, event(1, 1))).not.toThrow();
  });
});
