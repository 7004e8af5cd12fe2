import { deletionTopics, parseTopics, postTopics } from './stream-topics';

describe(parseTopics.name, () => {
  it('should keep known topics, distinct, at most three', () => {
    expect(parseTopics('home,explore,user:12,home')).toEqual(['home', 'explore', 'user:12']);
    expect(parseTopics('user:1,user:2,user:3,user:4')).toEqual(['user:1', 'user:2', 'user:3']);
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
