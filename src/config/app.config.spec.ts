import { readAppConfig } from './app.config';

describe(readAppConfig.name, () => {
  it('should default to listening on 127.0.0.1 and trusting no proxy', () => {
    const sut = readAppConfig({});
    expect(sut.host).toBe('127.0.0.1');
    expect(sut.trustProxy).toBe(false);
  });

  it('should serve the API docs outside production only, unless API_DOCS says otherwise', () => {
    expect(readAppConfig({}).apiDocs).toBe(true);
    expect(readAppConfig({ NODE_ENV: 'production' }).apiDocs).toBe(false);
    expect(readAppConfig({ NODE_ENV: 'production', API_DOCS: 'on' }).apiDocs).toBe(true);
    expect(readAppConfig({ API_DOCS: 'off' }).apiDocs).toBe(false);
    expect(() => readAppConfig({ API_DOCS: 'admin' })).toThrow(/API_DOCS/);
  });

  it('should treat an empty value as unset', () => {
    const sut = readAppConfig({ HOST: '', TRUST_PROXY: '', PORT: '' });
    expect([sut.host, sut.trustProxy, sut.port]).toEqual(['127.0.0.1', false, 3000]);
  });

  it('should give Express the parsed TRUST_PROXY', () => {
    expect(readAppConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(readAppConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(readAppConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
    ]);
  });

  it('should refuse a TRUST_PROXY Express would misread, naming the variable', () => {
    expect(() => readAppConfig({ TRUST_PROXY: 'nginx' })).toThrow(
      /^Invalid configuration: TRUST_PROXY: TRUST_PROXY must be .*"nginx" is not an IP address/,
    );
  });

  it.each(['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'app.internal'])(
    'should accept HOST=%s',
    (host) => {
      expect(readAppConfig({ HOST: host }).host).toBe(host);
    },
  );

  it.each(['not a host', 'http://localhost', '127.0.0.1:3000', '-app'])(
    'should refuse HOST=%j',
    (host) => {
      expect(() => readAppConfig({ HOST: host })).toThrow(
        'Invalid configuration: HOST: HOST must be an IP address',
      );
    },
  );

  it('should name every invalid variable at once', () => {
    expect(() => readAppConfig({ HOST: 'a b', PORT: 'x', TRUST_PROXY: 'y' })).toThrow(
      /PORT: .*; HOST: .*; .*TRUST_PROXY: /,
    );
  });
});
