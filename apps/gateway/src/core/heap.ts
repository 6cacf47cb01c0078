import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * How far V8 lets the old generation grow past what was live at the last full collection before it
 * collects again: by default V8 picks a factor of up to 4× from its own speed estimates, so a
 * gateway whose live heap is ~75 MB under load peaks far above it with garbage it has not yet
 * collected. A fixed 50% measured 20–25% lower peak RSS at 50 connections and with 1,000 open slow
 * streams, at the same req/s and CPU per call (bench/RESULTS.md, 2026-12-03). V8 reads this flag at
 * every collection, so setting it after start takes effect (checked with the bench: the peaks moved
 * as with the command-line flag). The operator's own flag, on the command line or in NODE_OPTIONS,
 * wins; `0` leaves V8's default.
 *
 * Called by the process's entry (`apigpt serve`, the bench's gateway), not by `startGateway`: a
 * library call must not retune its host's heap.
 * @returns the flag applied, or null when none was
 */
export function tuneHeap(percent: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string | null {
  if (!(percent > 0)) return null;
  if (execArgv.some((a) => a.startsWith(FLAG)) || nodeOptions.includes(FLAG)) return null;
  const flag = `${FLAG}=${Math.floor(percent)}`;
  setFlagsFromString(flag);
  return flag;
}
