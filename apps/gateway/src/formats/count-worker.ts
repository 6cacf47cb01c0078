// The token-count thread: counts the texts it is sent with the gateway's own counter (see count-thread.ts).
import { parentPort } from 'node:worker_threads';
import { countTokens } from './tokens.js';

export type ToCounter = { id: number; texts: string[] };
export type FromCounter = { id: number; counts: number[] } | { id: number; error: string };

const port = parentPort!;
port.on('message', (msg: ToCounter) => {
  try {
    port.postMessage({ id: msg.id, counts: msg.texts.map(countTokens) } satisfies FromCounter);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies FromCounter);
  }
});
