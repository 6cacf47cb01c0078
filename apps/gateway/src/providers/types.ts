import type { CancelSignal } from '../core/cancel.js';
import type { Dialect, FormPart, Operation } from '../core/calls.js';

export type { FormPart };
import type { GatewayError } from '../core/errors.js';
import type { WireFormat } from '../formats/canonical/types.js';
import type { ImageCall, ImageReply } from '../formats/canonical/images.js';

/**
 * What a provider needs to know of a channel. `channels/` stores more; it is passed in as is. Kept
 * here so providers depend on no store.
 */
export interface ProviderChannel {
  id: string;
  name: string;
  provider: string;
  baseUrl: string;
  secret: string | null;
  settings: Record<string, unknown>;
}

/** A call as it reaches a provider: the body already in that provider's wire format. */
export interface UpstreamCall {
  operation: Operation;
  /** The provider's own model name (after the channel's model mapping). */
  model: string;
  stream: boolean;
  /**
   * The wire format of `body`: the provider's own `dialect`, or one of its `nativeDialects` when the
   * caller's body passes through in it (the provider picks that format's endpoint). Absent: `dialect`.
   */
  dialect?: Dialect;
  /** JSON operations: the body to send. */
  body: Record<string, unknown>;
  /**
   * The caller's own bytes of `body` (the same JSON, every key once; `CallRequest.raw`): an adapter
   * that would send `body` as it is sends these instead of serialising it again.
   */
  raw?: Buffer;
  /** Multipart operations (transcription, translation): the form to send, file included. */
  form?: FormPart[];
  /**
   * Only when the provider speaks the caller's dialect (pass-through): the caller's request headers
   * and query parameters that the caller's format declares as the provider's own (Anthropic's
   * `anthropic-version`, `anthropic-beta`, `?beta=true`), to be sent on unchanged. Names lower-case.
   */
  passHeaders?: Record<string, string>;
  passQuery?: Record<string, string>;
}


export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Text for JSON bodies; bytes for multipart uploads (image edits, audio files, Stability forms). */
  body?: string | Buffer;
}

export interface UpstreamFailure {
  error: GatewayError;
  /** Worth trying on another channel (rate limit, overload, 5xx, timeout). */
  retryable: boolean;
  /** The provider refused the channel's own credentials (whatever status it used to say so). */
  credentials?: boolean;
}

/** A minimal HTTP client a provider may use for its own calls (token exchanges). */
export interface ProviderFetch {
  (req: UpstreamRequest, signal: CancelSignal): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;
}

/**
 * Credentials a provider fetched for a channel (an OAuth access token): what its request builder
 * adds to each call. Providers cache them themselves; `refresh` asks for a new one after the
 * provider refused the cached one.
 */
export interface Credentials {
  token: string;
  /** Epoch ms after which it must not be used. */
  expiresAt: number;
}

export interface CredentialContext {
  fetch: ProviderFetch;
  signal: CancelSignal;
  /** True after the provider refused the cached credentials: fetch new ones. */
  refresh: boolean;
}

/**
 * One object per provider: everything about it — how its URLs are formed, how it authenticates
 * (synchronously from the channel's key, or asynchronously by a token exchange), which operations it
 * serves and how each request is built, how its failures read. Adding a provider is a folder under
 * `providers/` and one line in `providers/registry.ts`.
 */
export interface Provider {
  kind: string;
  /** Human name for the console. */
  label: string;
  /**
   * The provider's public endpoint, as a channel's `baseUrl` (the console fills it in when an admin
   * picks the kind). Absent for servers that have no one address (self-hosted OpenAI-compatible
   * servers, Azure's per-resource endpoints).
   */
  defaultBaseUrl?: string;
  /** The wire format the provider speaks for chat; pass-through happens when it equals the caller's. */
  dialect: Dialect;
  operations: readonly Operation[];
  /** Whether a channel of this kind needs a secret. */
  needsSecret: boolean;
  /**
   * Other client dialects the provider serves natively, whose bodies pass through as the caller
   * sent them (OpenAI and Azure also speak the Responses API); `UpstreamCall.dialect` names which.
   */
  nativeDialects?: readonly Dialect[];
  /** The format used when the caller speaks another dialect; default: the format of `dialect`. */
  format?: WireFormat;
  /** Operations translated even for callers of `dialect`: for near-copies of it (Zhipu, ChatGLM, DeepSeek). */
  translateAlways?: readonly Operation[];
  /** Asynchronous auth (OAuth token exchange, signing keys): called before each request is built. */
  credentials?(channel: ProviderChannel, ctx: CredentialContext): Promise<Credentials>;
  /** The upstream request for one call; may be asynchronous (request signing). */
  buildRequest(call: UpstreamCall, channel: ProviderChannel, creds?: Credentials): UpstreamRequest | Promise<UpstreamRequest>;
  /** Turns a non-2xx answer into a typed error (message from the provider, status a client can act on). */
  classifyError(status: number, body: string, headers: Record<string, string | string[] | undefined>): UpstreamFailure;
  /**
   * Providers that report failures inside a 2xx JSON answer (Baidu: HTTP 200 with `error_code`):
   * the failure, or null when the answer is a real one. Only asked for JSON answers.
   */
  failureInAnswer?(body: string): (UpstreamFailure & { status: number }) | null;
  /** Image generation and edits, when the provider makes images. */
  images?: ImageBackend;
  /** Request that lists the provider's models, for the "test" button and discovery. */
  modelsRequest?(channel: ProviderChannel): UpstreamRequest;
  parseModels?(body: unknown): string[];
}

/** One upstream HTTP call of an image request, and how to read its answer. */
export interface ImageUpstreamCall {
  request: ImageRequestOut;
  parse(body: Buffer, headers: Record<string, string | string[] | undefined>): ImageReply;
}

/** The upstream request of one image call (its body may be multipart bytes). */
export type ImageRequestOut = UpstreamRequest;

/**
 * The image side of a provider: what OpenAI's image request becomes on its wire, and back. It lives in the provider's own folder
 * (`providers/<kind>/images.ts`) and is the `images` member of its Provider object.
 */
export interface ImageBackend {
  kind: string;
  /**
   * Checks the call against what the provider and model accept (sizes, n) and throws a 400 that
   * says the limit. `upstreamModel` is the provider's name for the model, `model` the caller's.
   */
  validate(call: ImageCall, upstreamModel: string, channel: ProviderChannel): void;
  /** The upstream calls that produce the images: one, or several where the provider makes one image per call. */
  generate(call: ImageCall, upstreamModel: string, channel: ProviderChannel): ImageUpstreamCall[];
  /** The same for edits; absent when the provider cannot change a given image. */
  edit?(call: ImageCall, upstreamModel: string, channel: ProviderChannel): ImageUpstreamCall[];
  classifyError(status: number, body: string, headers: Record<string, string | string[] | undefined>): UpstreamFailure;
  /**
   * The sizes (`WIDTHxHEIGHT`) the model accepts, for pickers such as the console's image
   * playground; null when any size within the back-end's rule is accepted (`validate` says the rule).
   */
  sizes?(upstreamModel: string, model: string, channel: ProviderChannel): readonly string[] | null;
  /** Sampling steps the call will run with, for pricing (diffusion back-ends only). */
  steps?(call: ImageCall): number | undefined;
}
