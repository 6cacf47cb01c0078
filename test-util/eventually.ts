/**
 * Waiting in tests for something that happens asynchronously (a log row written, a notification
 * delivered, a circuit's cool-down over), without guessing how long it takes: `fn` is tried at once
 * and then every `intervalMs` until it passes, and when `timeoutMs` has gone by with it still
 * failing, its last failure is thrown (the assertion error itself, so the report shows what was
 * still wrong).
 *
 * `fn` passes when it neither throws nor returns `false`: write it as assertions (`expect(...)`) or
 * as a condition. What it returned on the passing try is returned.
 *
 * Shared by the gateway's and the simulator's tests (apps/gateway/test/eventually.ts re-exports it).
 */
export interface EventuallyOptions {
  /** How long to keep trying before the last failure is thrown (default 5000). */
  timeoutMs?: number;
  /** Pause between tries (default 10). */
  intervalMs?: number;
}

export async function eventually<T>(fn: () => T | Promise<T>, { timeoutMs = 5000, intervalMs = 10 }: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (let tries = 1; ; tries++) {
    let failure: unknown;
    try {
      const value = await fn();
      if (value !== false) return value as Exclude<T, false>;
      failure = new Error('the condition is still false');
    } catch (err) {
      failure = err;
    }
    if (Date.now() >= deadline) {
      const note = ` [eventually: still failing after ${Date.now() - started} ms, ${tries} tries]`;
      if (failure instanceof Error) {
        try {
          failure.message += note;
        } catch {
          // a frozen error keeps its message
        }
        throw failure;
      }
      throw new Error(`${String(failure)}${note}`, { cause: failure });
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(intervalMs, deadline - Date.now()))));
  }
}
