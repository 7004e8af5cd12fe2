import fc from 'fast-check';
import {
  AccountFieldError,
  normaliseUsername,
  RESERVED_USERNAMES,
  usernameProblem,
} from './username';

describe(usernameProblem.name, () => {
  it('should accept ordinary names', () => {
    for (const name of ['susan', 'John_Smith', 'a.b-c', 'x'.repeat(64), 'adminton', '.hidden']) {
      expect([name, usernameProblem(name)]).toEqual([name, null]);
    }
  });

  it('should refuse names made only of dots, which are path segments', () => {
    for (const name of ['.', '..', '...']) {
      expect(usernameProblem(name)).toBe('validation.username_reserved');
    }
  });

  it('should refuse the reserved names in any case', () => {
    for (const name of ['admin', 'ADMIN', 'Api', 'static', 'Edit_Profile', 'send_message']) {
      expect([name, usernameProblem(name)]).toEqual([name, 'validation.username_reserved']);
    }
    for (const name of RESERVED_USERNAMES) {
      expect(usernameProblem(name.toUpperCase())).toBe('validation.username_reserved');
    }
  });

  it('should refuse blank, too long and non-URL-safe names', () => {
    expect(usernameProblem('  ')).toBe('validation.required');
    expect(usernameProblem('x'.repeat(65))).toBe('validation.too_long');
    for (const name of ['a b', 'café', 'a/b', 'a\u0000b', 'я', '😀']) {
      expect([name, usernameProblem(name)]).toEqual([name, 'validation.username_chars']);
    }
  });

  it('should only ever accept names of URL-safe characters that are not reserved', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (name) => {
        if (usernameProblem(name) === null) {
          expect(name).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
          expect(RESERVED_USERNAMES.has(name.toLowerCase())).toBe(false);
          expect(name).not.toMatch(/^\.+$/);
        }
      }),
    );
  });
});

describe(normaliseUsername.name, () => {
  it('should make the precomposed and the combining spelling one name (NFC)', () => {
    expect(normaliseUsername('e\u0301')).toBe('\u00e9');
    expect(normaliseUsername('\u00e9')).toBe('\u00e9');
    expect(normaliseUsername('susan')).toBe('susan');
  });
});

describe(AccountFieldError.name, () => {
  it('should explain itself in English for the command line', () => {
    const sut = new AccountFieldError('username', 'validation.username_reserved', 'admin');
    expect(sut.message).toBe('The username "admin" can\'t be used: it is reserved.');
    expect(sut).toMatchObject({ field: 'username', key: 'validation.username_reserved' });
  });
});
