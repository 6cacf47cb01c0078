// The token-count thread: counts the texts it is sent with the gateway's own counter (see count-thread.ts).
import { serveThread } from '../core/thread-client.js';
import { countTokens } from './tokens.js';

serveThread<string[], number[]>((texts) => texts.map((t) => countTokens(t)));
