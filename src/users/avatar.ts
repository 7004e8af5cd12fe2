import { createHash } from 'node:crypto';

const GRID = 5;

/**
 * A GitHub-style identicon drawn locally (no Gravatar call): a symmetric 5x5 pattern and a
 * colour, both taken from a hash of the username, so every user keeps the same picture.
 */
export function identiconSvg(seed: string): string {
  const hash = createHash('sha256').update(seed).digest();
  const hue = Math.round((hash.readUInt16BE(0) / 65535) * 360);
  const colour = `hsl(${hue} 55% 50%)`;
  const cells: string[] = [];
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < Math.ceil(GRID / 2); col++) {
      if (hash[2 + row * 3 + col] % 2 === 0) {
        cells.push(`<rect x="${col}" y="${row}" width="1" height="1"/>`);
        if (col !== GRID - 1 - col) {
          cells.push(`<rect x="${GRID - 1 - col}" y="${row}" width="1" height="1"/>`);
        }
      }
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" shape-rendering="crispEdges">` +
    `<rect x="-0.5" y="-0.5" width="6" height="6" fill="#f0f0f0"/>` +
    `<g fill="${colour}">${cells.join('')}</g></svg>`
  );
}
