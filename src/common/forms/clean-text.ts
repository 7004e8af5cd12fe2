// Unicode control characters (C0, DEL, C1) and UTF-16 surrogates that are not part of a pair:
// a NUL ends strings in C code and logs, and a lone surrogate has no UTF-8 form, so the database
// stores broken bytes for it.
const JUNK = /[\p{Cc}\p{Cs}]/u;
// Text areas send their line breaks as CR LF, and people paste tabs.
const JUNK_MULTILINE = /(?![\t\n\r])[\p{Cc}\p{Cs}]/u;

// Spaces, tabs and line breaks at either end. Unlike String.prototype.trim(), "\f" and "\v"
// are left in place, so a field that ends in one is refused rather than quietly cut.
const EDGE_SPACE = /^[\p{Zs}\t\n\r\u2028\u2029\ufeff]+|[\p{Zs}\t\n\r\u2028\u2029\ufeff]+$/gu;

export interface CleanTextOptions {
  /** Text that may hold line breaks and tabs (about me, message bodies). */
  multiline?: boolean;
}

/**
 * True when `text` holds no lone surrogate and no control character (line breaks and tabs
 * allowed in multi-line text).
 */
export function isCleanText(text: string, options: CleanTextOptions = {}): boolean {
  return !(options.multiline ? JUNK_MULTILINE : JUNK).test(text);
}

/**
 * True when every string inside a JSON value, object keys included, is clean text. Walks with
 * its own stack, so a deeply nested value can't overflow the call stack.
 */
export function isCleanJson(value: unknown, options: CleanTextOptions = {}): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (!isCleanText(item, options)) {
        return false;
      }
    } else if (Array.isArray(item)) {
      for (const child of item as unknown[]) {
        pending.push(child);
      }
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (!isCleanText(key, options)) {
          return false;
        }
        pending.push(child);
      }
    }
  }
  return true;
}

/** A string without the spaces and line breaks at its ends; anything else as it is. */
export function trimText(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(EDGE_SPACE, '') : value;
}
