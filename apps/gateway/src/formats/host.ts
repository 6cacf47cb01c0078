import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyContext } from '../apps/keys.js';
import type { Dialect, Operation } from '../core/calls.js';
import type { ImageCall } from './canonical/images.js';

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
  /** Reads the units of a whole answer (transcription usage, rerank search units); default: the up-front units. */
  readUsage?: (body: Buffer, contentType: string | undefined) => import('../core/calls.js').Usage | null;
}

export type CallSpec = TextSpec | ImageSpec | WebuiSpec | ForwardSpec;

/**
 * What the routes of a format may ask of the gateway. The HTTP layer implements it with the call
 * pipeline; formats depend on this interface only, never on the relay or the server.
 */
export interface FormatHost {
  /** Runs one call and answers it on `reply` (written directly; errors rendered in `dialect`). */
  run(request: FastifyRequest, reply: FastifyReply, spec: CallSpec, dialect: Dialect): Promise<FastifyReply>;
  /** Models a caller in `group` may use, for the model lists. */
  models(group: string): Promise<{ id: string; ownedBy: string }[]>;
  /** The provider dialect of the first channel serving `model` for `operation`, and whether it serves it natively. */
  firstProvider(model: string, group: string, operation: Operation): Promise<{ dialect: Dialect; operations: readonly Operation[] } | null>;
  /** Models of the A1111 WebUI channels a group may use. */
  webuiModels(group: string): Promise<string[]>;
  /** Checks the caller's gateway key (for routes outside the global key hook). */
  requireKey(request: FastifyRequest, dialect: Dialect): Promise<KeyContext>;
  /** Renders any error in a dialect's shape (for scopes with their own error handler). */
  renderError(err: unknown, dialect: Dialect | 'api'): { status: number; headers: Record<string, string>; body: unknown };
  readonly limits: { bodyLimit: number };
  /** Absolute base of the gateway's own links, from config or the request. */
  publicBase(request: FastifyRequest): string;
}
