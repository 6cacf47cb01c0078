import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyContext } from '../apps/keys.js';
import type { Dialect, Operation } from '../core/calls.js';
import type { ImageCall } from './canonical/images.js';
import type { OffLoopCounter } from './tokens.js';

/** A text call as a format's route describes it (chat, completion, embedding, token count). */
export interface TextSpec {
  kind: 'text';
  dialect: Dialect;
  operation: Operation;
  endpoint: string;
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
  /** Whether the caller asked for usage in its stream (OpenAI's `stream_options.include_usage`). */
  clientWantsUsage: boolean;
  /**
   * Request headers and query parameters of the caller that belong to the provider's protocol
   * (Anthropic's version and beta flags): sent on unchanged when the provider speaks the caller's
   * dialect, dropped when the call is translated.
   */
  passThrough?: { headers: Record<string, string>; query: Record<string, string> };
  /**
   * Set by a route that reads `body` no more once the call is on its way (nothing of it in a hook
   * or a closure that runs after the answer): a pass-through stream then lets go of the parsed
   * texts while it runs (relay/exchanges/text.ts `letGoOfBody`). Not set, the body is kept whole.
   */
  releasesBody?: boolean;
  /**
   * The session this call belongs to, for prompt-cache affinity (see `affinity.ts`): calls naming
   * the same session are kept on one channel while it serves them. Read only when the pipeline has a
   * choice of channels to keep it on (`relay/pipeline.ts`): a session named by the prompt's start is
   * a serialisation and a SHA-256 of the start (~90 µs for 16 KB of Chinese text), which most calls
   * (one channel per model, no affinity configured) never need. Undefined from it: the call names none.
   */
  affinity?: () => string | undefined;
}

/** OpenAI's image generation or edit, in canonical form. */
export interface ImageSpec {
  kind: 'image';
  endpoint: string;
  mode: 'generate' | 'edit';
  call: ImageCall;
}

/** A1111's own `/sdapi/v1/txt2img` and `img2img`, passed through to a WebUI channel. */
export interface WebuiSpec {
  kind: 'webui';
  endpoint: '/sdapi/v1/txt2img' | '/sdapi/v1/img2img';
  body: Record<string, unknown>;
}

/**
 * Calls whose body goes to the provider as the provider's own shape (speech, transcription,
 * translation, rerank): the format states the units it can see up front, and how to read the
 * units of the answer.
 */
export interface ForwardSpec {
  kind: 'forward';
  dialect: Dialect;
  operation: Operation;
  endpoint: string;
  model: string;
  /** JSON body (speech, rerank). */
  body?: Record<string, unknown>;
  /** Multipart form (transcription, translation). */
  form?: import('../core/calls.js').FormPart[];
  /**
   * Output tokens the call may produce, for the reservation: null when the model's maximum applies
   * (token-priced speech and transcription models), 0 (the default) when the answer has none.
   */
  maxOutputTokens?: number | null;
  /** Units known before the call (characters of speech, seconds of audio, documents to rerank). */
  units: import('../core/calls.js').Usage;
  /** Stream the answer's bytes to the caller as they come (speech audio). */
  streamBytes?: boolean;
  /** Costs nothing (moderation): rate-limited and logged, never charged. */
  free?: boolean;
  /** Reads the units of a whole answer (transcription usage, rerank search units); default: the up-front units. */
  readUsage?: (body: Buffer, contentType: string | undefined) => import('../core/calls.js').Usage | null;
}

export type CallSpec = TextSpec | ImageSpec | WebuiSpec | ForwardSpec;

/**
 * How a route follows a call's answer on its way to the caller (the Responses API keeps responses
 * and names the response they continue). Only successful answers pass through it; a refusal before
 * the answer began is written as it is.
 */
export interface AnswerHook {
  /** A whole 2xx answer: the bytes the caller gets instead (awaited before anything is written). */
  body?(body: Buffer): Promise<Buffer>;
  /**
   * Streamed text on its way to the caller, in whole events: the text to write instead and, when
   * given, a promise that this text and the rest of the stream wait for (a record that must exist
   * before the caller can ask for it).
   */
  stream?(text: string): { text: string; hold?: Promise<unknown> };
}

/** A whole answer handed back to the route instead of being written. */
export interface BufferedAnswer {
  status: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, string>;
}

/** A stored response of the Responses API: the Response object and the input items it was made from. */
export interface StoredResponse {
  id: string;
  /** Epoch milliseconds. */
  createdAt: number;
  response: Record<string, unknown>;
  inputItems: Record<string, unknown>[];
}

/**
 * The caller's stored responses. The owner is always the user of the request's key: a route can
 * neither name another owner nor tell another owner's response from a missing one.
 */
export interface StoredResponses {
  save(request: FastifyRequest, r: { id: string; model: string; response: Record<string, unknown>; inputItems: Record<string, unknown>[] }): Promise<void>;
  get(request: FastifyRequest, id: string): Promise<StoredResponse | null>;
  delete(request: FastifyRequest, id: string): Promise<boolean>;
  /** Items of the caller's stored responses by id (for `item_reference` inputs); ids not found are absent. */
  items(request: FastifyRequest, ids: string[]): Promise<Map<string, Record<string, unknown>>>;
}

/**
 * A model as the model lists show it. `capability` and `price` come from billing's catalog (the one
 * source of the prices users see): what the model does, and what one unit costs the caller's group
 * in P (per 1K tokens; per image, 1,000 characters, second, minute, 1,000 searches); `price` is null
 * when the model has no price (its calls are refused).
 */
export interface ListedModel {
  id: string;
  ownedBy: string;
  capability: string;
  price: {
    input: number;
    cachedInput: number;
    output: number;
    reasoning: number;
    perImage: number | null;
    perKChars: number | null;
    perSecond: number | null;
    perMinute: number | null;
    perKSearches: number | null;
  } | null;
}

/**
 * What the routes of a format may ask of the gateway. The HTTP layer implements it with the call
 * pipeline; formats depend on this interface only, never on the relay or the server.
 */
export interface FormatHost {
  /** Runs one call and answers it on `reply` (written directly; errors rendered in `dialect`), through `hook` when given. */
  run(request: FastifyRequest, reply: FastifyReply, spec: CallSpec, dialect: Dialect, hook?: AnswerHook): Promise<FastifyReply>;
  /**
   * Runs one non-streamed text call and hands its answer back instead of writing it (a 2xx, or a
   * provider's refusal passed through as it is); failures before any answer are thrown.
   */
  call(request: FastifyRequest, reply: FastifyReply, spec: TextSpec): Promise<BufferedAnswer>;
  /** The Responses API's stored responses of the request's key owner. */
  readonly responses: StoredResponses;
  /** Models a caller in `group` may use, for the model lists, with what each does and costs that group. */
  models(group: string): Promise<ListedModel[]>;
  /** The provider dialect of the first channel serving `model` for `operation`, the operations and the other dialects it serves natively. */
  firstProvider(model: string, group: string, operation: Operation): Promise<{ dialect: Dialect; operations: readonly Operation[]; nativeDialects: readonly Dialect[] } | null>;
  /** Models of the A1111 WebUI channels a group may use. */
  webuiModels(group: string): Promise<string[]>;
  /** Checks the caller's gateway key (for routes outside the global key hook). */
  requireKey(request: FastifyRequest, dialect: Dialect): Promise<KeyContext>;
  /** Renders any error in a dialect's shape (for scopes with their own error handler). */
  renderError(err: unknown, dialect: Dialect | 'api'): { status: number; headers: Record<string, string>; body: unknown };
  readonly limits: { bodyLimit: number };
  /** Counts large texts off the event loop (formats/count-thread.ts), for the counts a route makes itself. */
  readonly counter: OffLoopCounter;
  /** Absolute base of the gateway's own links, from config or the request. */
  publicBase(request: FastifyRequest): string;
}
