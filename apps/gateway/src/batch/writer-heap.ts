import type { ResourceLimits } from 'node:worker_threads';

/**
 * The SQLite writer thread's memory (bench/RESULTS.md, session 23: 1,000 slow streams after the
 * bench's 500-connection loads peaked 12–21 MB lower with the cache, 7–9 MB lower with the limit).
 *
 * Its connection only appends. Ids are time-ordered (core/ids.ts), so a batch touches the right-hand
 * edge of each table and of the time indexes, plus a leaf per active user or channel in the indexes
 * that start with one; the driver's 16 MiB page cache (storage/database.ts) kept every page it had
 * ever written, resident in the thread's malloc arena. SQLite's own default, 2 MiB (500 pages of
 * 4 KiB), holds that working set for a hundred or so active users; a page it no longer holds is read
 * back from the operating system's cache, off the event loop. No CPU per call was measured in an
 * alternated A/B at 50 connections (bench/ab.js: 0.998), nor with 100 users calling at once; with
 * 2,000 (bench/writer-cache.js) the thread spent 10–20% more CPU per batch than with 16 MiB, which is
 * why the size is a setting (`APIGPT_SQLITE_WRITER_CACHE_MB`, config/fields.ts).
 */
export const WRITER_CACHE_KIB = 2048;

/**
 * The thread keeps little live (its modules, one batch at a time), so V8's young generation, which
 * grows to 8 MB in a thread under load, is capped at 1 MB per semi-space (V8 splits the limit into
 * three). CPU per call at 50 connections, alternated A/Bs with the cap against without: +2.9%, +2.6%
 * and −4.2% — within this machine's spread.
 */
export const WRITER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 3 };
