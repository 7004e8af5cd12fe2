import { durationSeconds, readMailConfig } from './mail.config';

describe(readMailConfig.name, () => {
  it('should default to .eml files under data/mail and links to the local server', () => {
    expect(readMailConfig({ PORT: '8080' })).toMatchObject({
      smtpUrl: null,
      from: 'Microblog <no-reply@localhost>',
      mailDir: 'data/mail',
      publicUrl: 'http://127.0.0.1:8080',
      digestAfterSeconds: 3600,
      retryBaseMs: 30_000,
      maxAttempts: 10,
      pollMs: 5_000,
    });
  });

  it('should read SMTP_URL, MAIL_FROM, PUBLIC_URL and EMAIL_DIGEST_AFTER', () => {
    expect(
      readMailConfig({
        SMTP_URL: 'smtps://u:p@mail.example.com:465',
        MAIL_FROM: 'Site <site@example.com>',
        PUBLIC_URL: 'https://example.com',
        EMAIL_DIGEST_AFTER: '30m',
      }),
    ).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example.com:465',
      from: 'Site <site@example.com>',
      publicUrl: 'https://example.com',
      digestAfterSeconds: 1800,
    });
  });

  it('should refuse values that are not what they claim, naming the variable', () => {
    expect(() => readMailConfig({ SMTP_URL: 'mail.example.com' })).toThrow(
      'SMTP_URL must look like',
    );
    expect(() => readMailConfig({ PUBLIC_URL: 'https://example.com/' })).toThrow(
      'PUBLIC_URL must look like',
    );
    expect(() => readMailConfig({ EMAIL_DIGEST_AFTER: 'soon' })).toThrow(
      'EMAIL_DIGEST_AFTER must be a duration',
    );
  });

  it('should tick for digests every quarter period, between 250 ms and a minute, or every DIGEST_TICK_MS', () => {
    expect(
      [
        {},
        { EMAIL_DIGEST_AFTER: '2m' },
        { EMAIL_DIGEST_AFTER: '0' },
        { DIGEST_TICK_MS: '500' },
      ].map((env) => readMailConfig(env).digestTickMs),
    ).toEqual([60_000, 30_000, 250, 500]);
    expect(() => readMailConfig({ DIGEST_TICK_MS: '10' })).toThrow('DIGEST_TICK_MS');
  });
});

describe(durationSeconds.name, () => {
  it('should read seconds, minutes, hours and days', () => {
    expect([
      durationSeconds('90'),
      durationSeconds('45s'),
      durationSeconds('2h'),
      durationSeconds('1d'),
    ]).toEqual([90, 45, 7200, 86400]);
  });
});
