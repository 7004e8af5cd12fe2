import { usernameAttacks } from './usernames.cases';

/** Finding 8 on SQLite, whose own unique index compares usernames case-sensitively. */
describe('Attack: usernames (SQLite)', () => {
  usernameAttacks();
});
