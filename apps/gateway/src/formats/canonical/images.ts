import type { Channel } from '../../channels/channels.js';
import type { UpstreamFailure, UpstreamRequest } from '../../relay/types.js';

/** Provider extras an OpenAI-shaped caller may send in `extra`; each backend uses the ones its provider has. */
export interface ImageExtras {
  negative_prompt?: string;
  steps?: number;
  sampler?: string;
  seed?: number;
  cfg_scale?: number;
  /** img2img only: how far the result may move away from the input image (0..1). */
  strength?: number;
}

export interface UploadedImage {
  data: Buffer;
  filename: string;
  contentType: string;
}

/**
 * One image call in canonical form: OpenAI's `/v1/images/generations` (or `/edits`) request after
 * validation and defaults. Every backend renders from this, never from the raw body.
 */
export interface ImageCall {
  model: string;
  prompt: string;
  n: number;
  /** Requested pixel size; null when the caller left it to the model (`auto` or absent). */
  size: { width: number; height: number } | null;
  quality?: string;
  style?: string;
  responseFormat: 'b64_json' | 'url';
  user?: string;
  extra: ImageExtras;
  /** Present for edits: the image to change and the optional mask. */
  image?: UploadedImage;
  mask?: UploadedImage;
}

/** An image as a provider returned it: bytes (base64) or a provider URL the gateway must fetch. */
export type ProducedImage = { b64: string; revisedPrompt?: string } | { url: string; revisedPrompt?: string };

export interface ImageReply {
  images: ProducedImage[];
  /** Token usage when the provider reports it (gpt-image models). */
  tokens?: { input: number; output: number };
}

/** One upstream HTTP call of an image request, and how to read its answer. */
export interface ImageUpstreamCall {
  request: ImageRequestOut;
  parse(body: Buffer, headers: Record<string, string | string[] | undefined>): ImageReply;
}

/** The upstream request of one image call (its body may be multipart bytes). */
export type ImageRequestOut = UpstreamRequest;

/**
 * The image side of a provider: what OpenAI's image request becomes on its wire, and back. Kept
 * apart from ProviderAdapter so image support for a provider is a file of its own
 * (`providers/<kind>/images.ts`) and one line in `relay/images/backends.ts`.
 */
export interface ImageBackend {
  kind: string;
  /**
   * Checks the call against what the provider and model accept (sizes, n) and throws a 400 that
   * says the limit. `upstreamModel` is the provider's name for the model, `model` the caller's.
   */
  validate(call: ImageCall, upstreamModel: string, channel: Channel): void;
  /** The upstream calls that produce the images: one, or several where the provider makes one image per call. */
  generate(call: ImageCall, upstreamModel: string, channel: Channel): ImageUpstreamCall[];
  /** The same for edits; absent when the provider cannot change a given image. */
  edit?(call: ImageCall, upstreamModel: string, channel: Channel): ImageUpstreamCall[];
  classifyError(status: number, body: string, headers: Record<string, string | string[] | undefined>): UpstreamFailure;
  /** Sampling steps the call will run with, for pricing (diffusion back-ends only). */
  steps?(call: ImageCall): number | undefined;
}
