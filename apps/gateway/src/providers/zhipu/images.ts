import { invalidRequest } from '../../core/errors.js';
import { parseOpenAIImages, type OpenAIStyleEndpoint } from '../openai/images.js';
import { requireN, sizeText } from '../../formats/openai/images/sizes.js';
import type { ImageCall } from '../../formats/canonical/images.js';
import type { ImageBackend } from '../types.js';
import type { UpstreamFailure } from '../types.js';

const RECOMMENDED = ['1024x1024', '768x1344', '864x1152', '1344x768', '1152x864', '1440x720', '720x1440'];
/** CogView makes one image per call; `n` is emulated with parallel calls, capped like OpenAI's. */
const MAX_N = 10;

/**
 * Zhipu CogView (§5.4): OpenAI's request shape, but one image per call, answered with temporary
 * URLs (the pipeline downloads them), and its own size rule.
 */
export const zhipuImageBackend = (endpoint: OpenAIStyleEndpoint): ImageBackend => ({
  kind: 'zhipu',
  validate(call) {
    requireN(call, MAX_N, `the model ${call.model}`);
    if (call.size) checkCogViewSize(call.size);
  },
  // Custom sizes are accepted too, but the recommended ones are what a picker should offer.
  sizes: () => RECOMMENDED,
  generate(call, upstreamModel, channel) {
    const body: Record<string, unknown> = { model: upstreamModel, prompt: call.prompt };
    if (call.size) body.size = sizeText(call.size);
    if (call.quality === 'hd' || call.quality === 'standard') body.quality = call.quality;
    if (call.user) body.user_id = call.user;
    const request = endpoint.build({ operation: 'image', model: upstreamModel, stream: false, body }, channel);
    return Array.from({ length: call.n }, () => ({ request, parse: (buf: Buffer) => parseOpenAIImages(buf) }));
  },
  classifyError(status, text, headers): UpstreamFailure {
    return endpoint.classify(status, text, headers);
  },
});

/** Recommended sizes, or custom ones: 512–2048 px a side, multiples of 16, at most 2^21 pixels. */
function checkCogViewSize(size: NonNullable<ImageCall['size']>): void {
  const s = sizeText(size);
  if (RECOMMENDED.includes(s)) return;
  const { width: w, height: h } = size;
  if (w < 512 || h < 512 || w > 2048 || h > 2048 || w % 16 || h % 16 || w * h > 2 ** 21)
    throw invalidRequest(
      `The size ${s} is not supported by CogView: use one of ${RECOMMENDED.join(', ')}, or a custom size with sides of 512–2048 px, multiples of 16, and at most 2097152 pixels.`,
      'size',
      'invalid_size',
    );
}
