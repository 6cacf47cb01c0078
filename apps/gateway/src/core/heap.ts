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
  if (operatorSets([FLAG], execArgv, nodeOptions)) return null;
  const flag = `${FLAG}=${Math.floor(percent)}`;
  setFlagsFromString(flag);
  return flag;
}

const GROWTH = '--semi-space-growth-factor';
const YOUNG_FLAGS = [GROWTH, '--min-semi-space-size', '--max-semi-space-size', '--max-heap-size'];
/** V8's own default for the growth factor (`node --v8-options`); restored when serving starts. */
const V8_GROWTH_DEFAULT = 2;

/**
 * Keeps the young generation at its starting size while the gateway loads, and returns the call
 * that lets it grow again once the gateway serves.
 *
 * Loading ~50 MB of modules is allocation whose every object survives: V8 reads that survival as a
 * busy program and doubles the young generation to its 32 MB ceiling before the first call, and only
 * its memory reducer, after some idle seconds, gives the pages back. Measured on the bench's gateway
 * set-up (bench/RESULTS.md, session 17): 123–126 MB resident once started with growth, 95–97 MB
 * held, the same heap in use. Under load the young generation grows as before (growth is V8's answer to a
 * high survival rate, which serving calls produce in their own time). V8 reads the factor each time
 * it considers growing, so setting it at run time takes effect. The operator's own young-generation
 * flags, on the command line or in NODE_OPTIONS, win: then nothing is changed.
 *
 * A V8 isolate created while held ends the hold early: V8 raises the factor to at least 2 whenever
 * it configures a heap, and a worker thread is an isolate. Nothing starts one while the gateway
 * starts (the SQLite writer thread starts with the first batch); `test/ops/heap.test.ts` starts a
 * gateway held and checks its young generation.
 *
 * Called by the process's entry before it imports the gateway, like `tuneHeap`.
 * @returns the release (idempotent); a no-op when nothing was held
 */
export function holdYoungGeneration(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): () => void {
  if (operatorSets(YOUNG_FLAGS, execArgv, nodeOptions)) return () => {};
  setFlagsFromString(`${GROWTH}=1`);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    setFlagsFromString(`${GROWTH}=${V8_GROWTH_DEFAULT}`);
  };
}

/** Whether the operator set one of these V8 flags, on the command line or in NODE_OPTIONS. */
function operatorSets(flags: readonly string[], execArgv: readonly string[], nodeOptions: string): boolean {
  return flags.some((f) => execArgv.some((a) => a.startsWith(f)) || nodeOptions.includes(f));
}
