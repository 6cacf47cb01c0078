import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError } from '../core/errors.js';

/**
 * Deepest nesting of objects and arrays a JSON body may have. Real calls stay far below it (a tool's
 * JSON Schema rarely goes past ten levels); a body nested thousands of levels deep only serves to
 * overflow the stack of whatever walks it later (validation, translation, JSON.stringify).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests objects/arrays more than `max` levels deep. One pass over the characters,
 * skipping strings (and their escapes), counting `{ [` in and `} ]` out; no allocation. Malformed
 * JSON is left to the parser to refuse.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  // Deeper than `max` needs more than `max` opening brackets: most bodies have far fewer, and
  // counting them with indexOf (native) spares the character walk below on the hot path.
  if (!moreOpenersThan(text, max)) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

function moreOpenersThan(text: string, max: number): boolean {
  let count = 0;
  for (const opener of ['{', '[']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) if (++count > max) return true;
  }
  return false;
}

/**
 * Whether the JSON text has a NUL character in one of its strings. JSON can only write one as the
 * escape `\u0000` (a raw control character in a string is malformed), and that escape is real when
 * an odd number of backslashes leads it (`\\u0000` is a backslash, then the text "u0000").
 */
export function jsonHasNul(text: string): boolean {
  for (let i = text.indexOf('\\u0000'); i !== -1; i = text.indexOf('\\u0000', i + 1)) {
    let slashes = 0;
    for (let j = i; j >= 0 && text.charCodeAt(j) === 0x5c; j--) slashes++;
    if (slashes % 2 === 1) return true;
  }
  return false;
}

/**
 * The management API's routes (the console's, the admin's): their text is stored, and PostgreSQL's
 * text cannot hold a NUL character — such a name or ticket failed its insert and answered 500. None
 * of their fields has a use for one, so it is refused up front, in the caller's terms. The relay's
 * bodies go to providers as they came (a prompt may hold anything JSON can).
 */
function storesText(url: string): boolean {
  return url.startsWith('/api/');
}

/**
 * Replaces Fastify's JSON parser with the same parser (secure-json-parse: `__proto__` and
 * `constructor` poisoning refused, empty and malformed bodies as before) behind a depth check and,
 * on the management API, a NUL check (its URLs too). The size is capped by the server's `bodyLimit`
 * while the body is read. A refusal is a GatewayError, so the error handler answers it in the route's
 * dialect.
 */
export function registerJsonParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDepthExceeds(text, maxDepth)) {
      done(new GatewayError('invalid_request', `The JSON body is nested too deeply: at most ${maxDepth} levels of objects and arrays are accepted.`, { code: 'invalid_json' }), undefined);
      return;
    }
    if (storesText(req.url) && jsonHasNul(text)) {
      done(nulRefused(), undefined);
      return;
    }
    parse(req, text, done);
  });
  // The same for the management API's paths and query strings (`/api/apps/a%00b`, `?model=a%00b`):
  // a NUL there reached PostgreSQL as a parameter and answered 500. Every request passes this hook
  // (before the others, so the refusal comes before any sign-in check), so it is callback-style: a
  // relayed call pays one `startsWith`, no promise.
  app.addHook('onRequest', (req, _reply, done) => {
    done(storesText(req.url) && req.url.includes('%00') ? (nulRefused() as unknown as FastifyError) : undefined);
  });
}

function nulRefused(): GatewayError {
  return new GatewayError('invalid_request', 'Text in the request may not contain the NUL character (\\u0000).', { code: 'nul_character' });
}
