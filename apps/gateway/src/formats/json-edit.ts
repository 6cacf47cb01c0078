/**
 * Targeted edits of JSON text: one string value changed, every other byte left as the provider sent
 * it (no re-serialisation: number spellings, escapes, key order and spacing are kept).
 */

/**
 * The JSON text with the string at `path` (object keys from the root, e.g. `['message', 'model']`)
 * replaced by `value`. Unchanged when the path holds no string, when it already holds `value`, or
 * when the text is not JSON the scanner can follow.
 */
export function replaceJsonString(text: string, path: readonly string[], value: string): string {
  const span = findString(text, path);
  if (!span) return text;
  const current = text.slice(span.start, span.end);
  let decoded: unknown;
  try {
    decoded = JSON.parse(current);
  } catch {
    return text;
  }
  if (decoded === value) return text;
  return text.slice(0, span.start) + JSON.stringify(value) + text.slice(span.end);
}

/** Where the string value at `path` starts and ends (quotes included), scanning the text once. */
function findString(text: string, path: readonly string[]): { start: number; end: number } | null {
  // One frame per open object or array: the key last read in it, and whether a key comes next.
  const stack: { object: boolean; key: string | null; expectKey: boolean }[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      if (i >= n) return null;
      const end = i + 1;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        try {
          top.key = JSON.parse(text.slice(start, end)) as string;
        } catch {
          return null;
        }
        top.expectKey = false;
      } else if (stack.length === path.length && stack.every((f, k) => f.object && f.key === path[k])) {
        return { start, end };
      }
    } else if (c === 0x7b /* { */) stack.push({ object: true, key: null, expectKey: true });
    else if (c === 0x5b /* [ */) stack.push({ object: false, key: null, expectKey: false });
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      if (stack.length === 0) return null;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
    }
  }
  return null;
}
