import { parsePreferences } from './notification-preferences.service';

describe(parsePreferences.name, () => {
  it('should turn on the checkboxes the form sent and off the others', () => {
    expect(
      parsePreferences({
        notify_follows: '1',
        messages_from_following_only: 'on',
        email_messages: 'on',
      }),
    ).toEqual({
      notifyFollows: true,
      notifyMentions: false,
      notifyMessages: false,
      notifyAnnouncements: false,
      mentionsFromFollowingOnly: false,
      messagesFromFollowingOnly: true,
      emailFollows: false,
      emailMentions: false,
      emailMessages: true,
      emailAnnouncements: false,
    });
  });

  it('should read junk as everything off', () => {
    expect(Object.values(parsePreferences('junk')).every((on) => on === false)).toBe(true);
    expect(Object.values(parsePreferences(null)).every((on) => on === false)).toBe(true);
  });
});
