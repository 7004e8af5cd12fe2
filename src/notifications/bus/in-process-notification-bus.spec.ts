import { InProcessNotificationBus } from './in-process-notification-bus';
import { StreamEvent } from './notification-bus';

const event = (id: number): StreamEvent => ({ id, name: 'unread_message_count', json: '{}' });

describe(InProcessNotificationBus.name, () => {
  let sut: InProcessNotificationBus;

  beforeEach(() => {
    sut = new InProcessNotificationBus();
  });

  it("should deliver an event to every subscription of its user and no one else's", () => {
    const first: number[] = [];
    const second: number[] = [];
    const other: number[] = [];
    sut.subscribe(1, (e) => first.push(e.id));
    sut.subscribe(1, (e) => second.push(e.id));
    sut.subscribe(2, (e) => other.push(e.id));
    sut.publish(1, event(10));
    expect(first).toEqual([10]);
    expect(second).toEqual([10]);
    expect(other).toEqual([]);
  });

  it('should forget a subscription once, however often it is closed', () => {
    const seen: number[] = [];
    const close = sut.subscribe(1, (e) => seen.push(e.id));
    const keep = sut.subscribe(1, () => undefined);
    expect(sut.subscriptionCount).toBe(2);
    close();
    close();
    expect(sut.subscriptionCount).toBe(1);
    sut.publish(1, event(11));
    expect(seen).toEqual([]);
    keep();
    expect(sut.subscriptionCount).toBe(0);
  });
});
