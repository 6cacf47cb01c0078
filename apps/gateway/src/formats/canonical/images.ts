
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
