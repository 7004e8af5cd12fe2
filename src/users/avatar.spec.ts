import { identiconSvg } from './avatar';

describe(identiconSvg.name, () => {
  it('should draw the same picture for the same name and another for another name', () => {
    expect(identiconSvg('susan')).toBe(identiconSvg('susan'));
    expect(identiconSvg('susan')).not.toBe(identiconSvg('john'));
  });

  it('should be a self-contained SVG with a mirrored pattern', () => {
    const svg = identiconSvg('susan');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const xs = [...svg.matchAll(/<rect x="(\d)" y="(\d)"/g)].map((m) => `${m[1]},${m[2]}`);
    for (const cell of xs) {
      const [x, y] = cell.split(',').map(Number);
      expect(xs).toContain(`${4 - x},${y}`);
    }
  });
});
