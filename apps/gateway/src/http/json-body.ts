import { isUtf8 } from 'node:buffer';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { utf8Text } from '../core/utf8.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** A JSON body's bytes beside the object parsed from them, when any parser reads them alike (`rawJsonOf`). */
    rawJson?: { body: unknown; bytes: Buffer };
  }
}

/**
 * Deepest nesting of objects and arrays a JSON body may have. Real calls stay far below it (a tool's
 * JSON Schema rarely goes past ten levels); a body nested thousands of levels deep only serves to
 * overflow the stack of whatever walks it later (validation, translation, JSON.stringify).
 */
export const MAX_JSON_DEPTH = 64;

/** What one pass over a JSON body's text tells (`jsonShape`). */
export interface JsonShape {
  /** Objects and arrays nest more than the limit deep (the pass stopped there). */
  tooDeep: boolean;
  /**
   * No object has a key twice, and no key is written with an escape: every JSON parser reads this
   * text as JSON.parse read it, so its bytes may go to a provider in place of a serialisation of
   * the parsed body. RFC 8259 §4 leaves repeated names to each parser (JSON.parse keeps the last;
   * others keep the first, or refuse the text): sent as written, `{"model":"gpt-4o","model":"gpt-4o-mini"}`
   * would be routed, admitted and billed as one model and served as another. An escaped key
   * (`"mod\u0065l"`) may repeat another under a different spelling, so it counts as a repeat.
   */
  distinctKeys: boolean;
  /**
   * The keys are distinct (above) and none is `__proto__` or `constructor`: JSON.parse alone reads
   * the text safely, without the poisoning checks' two scans of it (secure-json-parse's
   * `__proto__` and `constructor` patterns; ~0.1 ms for a coding agent's 230 KB turn).
   */
  ordinaryKeys: boolean;
}

/** An object's keys are compared in a list up to this many, then kept in a Set (an object of 10,000 keys stays linear). */
const LISTED_KEYS = 16;

/**
 * One pass over the characters of a JSON text: how deep objects and arrays nest, and whether every
 * object's keys are distinct (see `JsonShape`). Strings are skipped with `indexOf` (a prompt's text
 * is most of a large body: the pass costs per token, not per character). Malformed JSON is left to
 * the parser to refuse: the pass only reads what a well-formed text would mean.
 */
export function jsonShape(text: string, maxDepth: number): JsonShape {
  // One frame per open object (its keys so far) or array (null), innermost last.
  const open: (string[] | Set<string> | null)[] = [];
  let distinct = true;
  let ordinary = true;
  // The next string is a key: right after `{`, or after `,` inside an object.
  let keyNext = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = closingQuote(text, i);
      if (end === -1) break;
      if (keyNext) {
        keyNext = false;
        if (distinct) {
          const key = text.slice(i + 1, end);
          distinct = addKey(open, key);
          if (key === '__proto__' || key === 'constructor') ordinary = false;
        }
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (open.length >= maxDepth) return { tooDeep: true, distinctKeys: false, ordinaryKeys: false };
      const object = c === 0x7b;
      open.push(object ? [] : null);
      keyNext = object;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      keyNext = false;
    } else if (c === 0x2c /* , */) {
      keyNext = open.length > 0 && open[open.length - 1] !== null;
    }
  }
  return { tooDeep: false, distinctKeys: distinct, ordinaryKeys: distinct && ordinary };
}

/** The index of the quote that closes the string opened at `start` (-1: none). */
function closingQuote(text: string, start: number): number {
  let j = text.indexOf('"', start + 1);
  // A quote led by an odd number of backslashes is part of the string (`\"`); an even number
  // escape one another, and the quote ends it (`\\"`).
  while (j !== -1 && text.charCodeAt(j - 1) === 0x5c /* \ */) {
    let slashes = 1;
    while (text.charCodeAt(j - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) break;
    j = text.indexOf('"', j + 1);
  }
  return j;
}

/** Adds a key to the innermost object: false when it repeats one there, or is written with an escape. */
function addKey(open: (string[] | Set<string> | null)[], key: string): boolean {
  if (key.includes('\\')) return false;
  const last = open.length - 1;
  const keys = open[last];
  if (keys === null || keys === undefined) return true;
  if (Array.isArray(keys)) {
    if (keys.includes(key)) return false;
    if (keys.length < LISTED_KEYS) keys.push(key);
    else open[last] = new Set(keys).add(key);
    return true;
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
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
 *
 * The body is read as bytes and decoded here, so that the bytes stay beside the parsed object
 * (`request.rawJson`) when every parser would read them as JSON.parse did: valid UTF-8 without a
 * byte-order mark, every object's keys distinct and unescaped (`jsonShape`). A call that goes to a
 * provider unchanged then sends them as they came (`relay/exchanges/text.ts`): a coding agent's
 * 230 KB body is not serialised and encoded again for each call (bench/RESULTS.md, session 29).
 */
export function registerJsonParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const checked = app.getDefaultJsonParser('error', 'error');
  // Fastify answers every body its parser refuses as malformed JSON; one refused for a prototype key
  // is valid JSON, and is told so (JSON.parse runs again only for a refused body).
  const parse: typeof checked = (req, text, done) =>
    checked(req, text, (err, value) => done(err && typeof text === 'string' && isJson(text) ? prototypeRefused() : err, value));
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    const utf8 = isUtf8(bytes);
    const text = utf8Text(bytes, utf8);
    const shape = jsonShape(text, maxDepth);
    if (shape.tooDeep) {
      done(new GatewayError('invalid_request', `The JSON body is nested too deeply: at most ${maxDepth} levels of objects and arrays are accepted.`, { code: 'invalid_json' }), undefined);
      return;
    }
    if (storesText(req.url)) {
      if (jsonHasNul(text)) done(nulRefused(), undefined);
      else parse(req, text, done);
      return;
    }
    if (!shape.distinctKeys || !utf8 || hasByteOrderMark(bytes)) {
      parse(req, text, done);
      return;
    }
    if (shape.ordinaryKeys) {
      // No key the poisoning checks look for (`jsonShape` read every key): JSON.parse alone. A text
      // it refuses (malformed, empty) is not valid JSON: Fastify's parser gives its own answer.
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        checked(req, text, done);
        return;
      }
      req.rawJson = { body: value, bytes };
      done(null, value);
      return;
    }
    parse(req, text, (err, value) => {
      if (!err) req.rawJson = { body: value, bytes };
      done(err, value);
    });
  });
  // The same for the management API's paths and query strings (`/api/apps/a%00b`, `?model=a%00b`):
  // a NUL there reached PostgreSQL as a parameter and answered 500. Every request passes this hook
  // (before the others, so the refusal comes before any sign-in check), so it is callback-style: a
  // relayed call pays one `startsWith`, no promise.
  app.addHook('onRequest', (req, _reply, done) => {
    done(storesText(req.url) && req.url.includes('%00') ? (nulRefused() as unknown as FastifyError) : undefined);
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function prototypeRefused(): GatewayError {
  return new GatewayError('invalid_request', 'The JSON body may not have a "__proto__" key, nor a "constructor" key holding a "prototype".', { code: 'invalid_json' });
}

function nulRefused(): GatewayError {
  return new GatewayError('invalid_request', 'Text in the request may not contain the NUL character (\\u0000).', { code: 'nul_character' });
}

/** A UTF-8 byte-order mark: the parser skips it, a provider's may not. */
function hasByteOrderMark(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

/**
 * The bytes the caller sent for `body`, when `body` is the object parsed from them and every parser
 * reads them alike (see `registerJsonParser`); undefined otherwise (a route passed another object,
 * or the text has a repeated or escaped key, invalid UTF-8 or a byte-order mark). Whoever changes
 * the object afterwards must stop using the bytes (the pipeline's input screens do).
 */
export function rawJsonOf(request: FastifyRequest, body: unknown): Buffer | undefined {
  const raw = request.rawJson;
  return raw !== undefined && raw.body === body ? raw.bytes : undefined;
}
