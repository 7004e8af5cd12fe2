const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Length as a person counts it: "é", "ж", "👍🏽" and "👨‍👩‍👧" are one character each. */
export function visibleLength(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) {
    count++;
  }
  return count;
}

/** Code points, the unit MySQL's VARCHAR(n) counts. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) {
    count++;
  }
  return count;
}
