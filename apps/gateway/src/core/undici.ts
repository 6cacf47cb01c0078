import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/**
 * The parts of undici the relay uses, loaded from their own files rather than from the package's
 * index. The index also loads undici's fetch, WebSocket, EventSource, cache and cookie modules, and
 * the cookie module reads `globalThis.Headers`, which makes Node load its own bundled copy of
 * undici as well: in a bare process with a connection open, 7 MB of resident memory and 3 MB of
 * heap more than these files alone; 17 MB of the gateway's idle memory in the bench (bench/RESULTS.md,
 * session 12). None of it is used on the relay path. Types come from the
 * package (type-only: nothing loaded); the lockfile pins the version whose files these are, and
 * every relay test goes through them.
 *
 * `request()` and the other convenience calls are not here: they are the index's; code that needs
 * them (image storage on S3, media/s3.ts) imports the package when it first sends.
 */
const load = createRequire(import.meta.url);

export const Agent = load('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export const errors = load('undici/lib/core/errors.js') as typeof Undici.errors;
export type Agent = Undici.Agent;
export type { Dispatcher } from 'undici';
