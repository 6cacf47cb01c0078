import type { ServerResponse } from 'node:http';

/**
 * Waits until the caller's socket takes more (or is gone). Both listeners are removed whichever
 * fires: `Promise.race` of two `events.once` would leave the loser behind on every wait, and a long
 * stream with many backpressure pauses would pile them up.
 */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
