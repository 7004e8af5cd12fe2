import express from 'express';
import { parseTrustProxy } from './env-validators';

describe(parseTrustProxy.name, () => {
  it('should read true, false and hop counts as Express expects them', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy(' 2 ')).toBe(2);
  });

  it('should read a list of addresses, subnets and names', () => {
    expect(
      parseTrustProxy(
        'loopback, linklocal,uniquelocal, 10.0.0.1, 172.16.0.0/12, 10.0.0.0/255.0.0.0, ::1, fd00::/8',
      ),
    ).toEqual([
      'loopback',
      'linklocal',
      'uniquelocal',
      '10.0.0.1',
      '172.16.0.0/12',
      '10.0.0.0/255.0.0.0',
      '::1',
      'fd00::/8',
    ]);
  });

  it.each([
    ['proxy.example.com', '"proxy.example.com" is not an IP address, a subnet (CIDR) or one of'],
    ['10.0.0.0/33', '"10.0.0.0/33" has an invalid prefix length or mask'],
    ['10.0.0.0/255.0.255.0', '"10.0.0.0/255.0.255.0" has an invalid prefix length or mask'],
    ['fd00::/129', '"fd00::/129" has an invalid prefix length or mask'],
    ['loopback,', 'an entry is empty'],
    ['yes', '"yes" is not an IP address'],
    ['-1', '"-1" is not an IP address'],
  ])('should refuse %j, saying why', (value, reason) => {
    expect(() => parseTrustProxy(value)).toThrow(reason);
    expect(() => parseTrustProxy(value)).toThrow(/^TRUST_PROXY must be true, false, a hop count/);
  });

  it('should make Express trust the nearest proxy for 1 (the string "1" trusts only 0.0.0.1)', () => {
    const trusts = (setting: unknown) => {
      const app = express();
      app.set('trust proxy', setting);
      const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
      return trust('127.0.0.1', 0);
    };
    expect(trusts(parseTrustProxy('1'))).toBe(true);
    expect(trusts(parseTrustProxy('loopback'))).toBe(true);
    expect(trusts(parseTrustProxy('10.0.0.0/8'))).toBe(false);
    expect(trusts('1')).toBe(false);
  });
});
