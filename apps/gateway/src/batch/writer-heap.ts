import type { ResourceLimits } from 'node:worker_threads';

/**
 * The SQLite writer thread's memory (bench/RESULTS.md, session 23: 1,000 slow streams after the
 * bench's 500-connection loads peaked 15–21 MB lower with the cache, 6–8 MB lower with the limit).
 *
 * Its connection only appends: request ids and ledger rows are time-ordered (core/ids.ts), so a
 * batch touches the right-hand edge of each table and index, a few dozen pages. The driver's 16 MiB
 * page cache (storage/database.ts) filled with pages the thread never read again and stayed resident
 * in the thread's malloc arena; SQLite's own default, 2 MiB, holds that edge with room to spare and
 * cost no CPU per call in an alternated A/B at 50 connections.
 */
export const WRITER_CACHE_KIB = 2048;

/**
 * The thread keeps little live (its modules, one batch at a time), so V8's young generation, which
 * grows to 8 MB in a thread under load, is capped at 1 MB per semi-space (V8 splits the limit into
 * three). Measured at about 2–3% more CPU per call at 50 connections (bench/RESULTS.md, session 23).
 */
export const WRITER_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 3 };
