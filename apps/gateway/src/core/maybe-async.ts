/**
 * A value that is often ready at once (an in-memory snapshot or cache that is current) and only
 * sometimes has to be loaded. Every relayed call reads several: answering with the value itself
 * spares each an async frame, a promise and a turn of the microtask queue (bench/RESULTS.md,
 * session 20). Inside an async function, `isPending(v) ? await v : v` keeps the ready case free of
 * the `await`.
 */
export type MaybeAsync<T> = T | Promise<T>;

/** Whether the value still has to be waited for. */
export function isPending<T>(value: MaybeAsync<T>): value is Promise<T> {
  return value instanceof Promise;
}

/** `f` of the value: at once when it is ready (a throw from `f` is then thrown), else once it is. */
export function whenReady<T, U>(value: MaybeAsync<T>, f: (ready: T) => U): MaybeAsync<U> {
  return isPending(value) ? value.then(f) : f(value);
}
