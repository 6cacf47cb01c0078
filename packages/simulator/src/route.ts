// Shapes shared by the server and the dialect modules.
import type { IncomingMessage } from 'node:http';
import type { SimControls, SimulatorOptions } from './types.js';
import type { TokenCounter } from './tokens.js';
import type { UploadedFile } from './http.js';
import type { AccessTokenStore } from './token-store.js';
import type { PaymentsState } from './payments/state.js';

export type Headers = Record<string, string | number>;

/** What a handler answers; the server applies latency and faults while sending it. */
export type Outcome =
  | { kind: 'json'; status?: number; body: unknown; headers?: Headers }
  | { kind: 'bytes'; status?: number; body: Buffer | string; contentType: string; headers?: Headers }
  /**
   * `content`: indexes of the events that carry produced content (text, reasoning, tool-call
   * arguments), in order, for the `cut` and `stall` faults; absent = every event does.
   */
  | { kind: 'sse'; events: string[]; headers?: Headers; content?: number[] }
  /** A binary body sent in several writes without content-length (chunked), e.g. TTS audio. */
  | { kind: 'stream'; status?: number; chunks: Buffer[]; contentType: string; headers?: Headers };

/** Per-instance state handed to handlers (no module-level state anywhere). */
export interface Instance {
  options: SimulatorOptions;
  tokens: TokenCounter;
  newId(prefix: string): string;
  /** Images served back at /_sim/images/{id}.png (for url-style image responses). */
  storeImage(png: Buffer): string;
  /** A1111 global settings (GET/POST /sdapi/v1/options); per instance like everything else. */
  sdOptions: Record<string, unknown>;
  /** Base URL clients reached us at (used to build image URLs). */
  baseUrl(req: IncomingMessage): string;
  /** DeepSeek's simulated prefix cache: keys of the message prefixes persisted so far. */
  prefixCache: Set<string>;
  /** Baidu OAuth access tokens issued by /oauth/2.0/token. */
  ernieTokens: AccessTokenStore;
  /** The simulated payment providers (EPay trades, Stripe sessions and webhook endpoints, callbacks). */
  payments: PaymentsState;
}

export interface Ctx {
  req: IncomingMessage;
  path: string;
  query: Record<string, string>;
  params: Record<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- request JSON is untyped by nature
  /** The body's exact bytes, for protocols that sign them (WeChat Pay). */
  raw?: Buffer;
  files: Record<string, UploadedFile>;
  controls: SimControls;
  sim: Instance;
}

/** Error rendering and auth for one wire dialect. */
export interface Dialect {
  name: string;
  /** Returns an error outcome when the request lacks valid credentials, else null. */
  authorize(ctx: Ctx, apiKey: string): Outcome | null;
  /** Auth that applies even without `apiKey` (A1111's optional HTTP Basic). */
  gate?(ctx: Ctx): Outcome | null;
  error(status: number, message: string, code?: string): Outcome;
  modelNotFound(model: string): Outcome;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  dialect: Dialect;
  /**
   * Extra discriminator when two dialects share a path (GET /v1/models by headers, POST
   * /v1/chat/completions by the body's model for DeepSeek). `body` is the parsed request body.
   */
  when?: (req: IncomingMessage, body: any) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Text of the last user turn, where a `[[sim ...]]` directive may be. */
  directiveText?: (body: any) => string; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The model the request targets, for the `models` allow-list. */
  model?: (ctx: Ctx) => string | undefined;
  handle(ctx: Ctx): Outcome | Promise<Outcome>;
}

export function json(body: unknown, status = 200, headers?: Headers): Outcome {
  return { kind: 'json', status, body, headers };
}
