import { safeRedirectTarget } from './safe-redirect';

describe(safeRedirectTarget.name, () => {
  it.each(['/messages', '/user/bob?tab=1', '/explore#top'])('should keep the site path %s', (p) => {
    expect(safeRedirectTarget(p)).toBe(p);
  });

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/\u0000//evil.example',
    ' /messages',
    '',
    undefined,
    ['/messages'],
  ])('should refuse %p', (p) => {
    expect(safeRedirectTarget(p)).toBe('/');
  });
});
