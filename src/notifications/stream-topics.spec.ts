import { deletionTopics, parseTopics, postTopics } from './stream-topics';

describe(parseTopics.name, () => {
  it('should keep known topics, distinct, the last eight', () => {
    expect(parseTopics('home,explore,user:12,home')).toEqual(['home', 'explore', 'user:12']);
    const ten = Array.from({ length: 10 }, (_, i) => `user:${i + 1}`);
    expect(parseTopics(ten.join(','))).toEqual(ten.slice(2));
  });

  it('should leave out anything else, never throw', () => {
    expect(parseTopics('user:0,user:abc,user:01,admin,,*')).toEqual([]);
    expect(parseTopics(['home'])).toEqual([]);
    expect(parseTopics(undefined)).toEqual([]);
    expect(parseTopics('user:12345678901')).toEqual([]);
  });

  it('should tell a deletion to every page that may show the post', () => {
    expect(postTopics(5)).toEqual(['explore', 'user:5']);
    expect(deletionTopics(5)).toEqual(['home', 'explore', 'user:5']);
  });
});
