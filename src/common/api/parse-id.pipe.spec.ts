import fc from 'fast-check';
import { parseId } from './parse-id.pipe';

describe(parseId.name, () => {
  it('should take canonical decimal ids only', () => {
    expect(parseId('57')).toBe(57);
    expect(parseId('2147483647')).toBe(2147483647);
    for (const junk of [
      '0x39',
      '57.0',
      '+57',
      ' 57',
      '57 ',
      '057',
      '1e9',
      '0',
      '-1',
      '',
      '2147483648',
    ]) {
      expect([junk, parseId(junk)]).toEqual([junk, null]);
    }
    expect(parseId(57)).toBeNull();
  });

  it('should read back exactly the id it was given as a string, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_147_483_647 }), (id) => parseId(String(id)) === id),
    );
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const id = parseId(raw);
        return id === null || String(id) === raw;
      }),
    );
  });
});
