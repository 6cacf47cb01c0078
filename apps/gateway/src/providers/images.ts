import type { ImageCall, ImageReply } from '../formats/canonical/images.js';
import type { ProviderChannel, UpstreamFailure, UpstreamRequest } from './types.js';

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
  /** Sampling steps the call will run with, for pricing (diffusion back-ends only). */
  steps?(call: ImageCall): number | undefined;
}
