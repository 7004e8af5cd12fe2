/** Deepest nesting of objects and arrays a JSON body may have; our bodies need 3. */
export const MAX_JSON_DEPTH = 32;

/**
 * How deeply the JSON text nests objects and arrays, read in one pass without parsing, so a
 * body nested thousands deep is refused before anything recurses over it (JSON.parse,
 * class-transformer and class-validator all recurse per level).
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        i++;
      } else if (c === 0x22 /* " */) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      deepest = Math.max(deepest, ++depth);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}
