import type { ProviderChannel as Channel } from '../types.js';
import { invalidRequest } from '../../core/errors.js';
import { imageSize } from '../../media/image-bytes.js';
import { requireN, sizeText } from '../../formats/openai/images/sizes.js';
import type { ImageCall, ImageReply } from '../../formats/canonical/images.js';
import type { ImageBackend } from '../types.js';
import { badResponse, parseJsonBody } from '../openai/images.js';
import { classifyWebuiError, webuiRequest } from './wire.js';

/** Images per request unless the channel says otherwise (`settings.maxBatch`): a batch must fit in VRAM. */
const DEFAULT_MAX_BATCH = 8;
const MAX_SIDE = 2048;

/**
 * OpenAI's image request as A1111 txt2img / img2img (§6.3): `n` → `batch_size`, size → width and
 * height, the model → `override_settings.sd_model_checkpoint`, quality → sampling steps, and the
 * extras A1111 has (negative prompt, steps, sampler, seed, CFG scale) passed as they are.
 */
export const sdWebuiImageBackend: ImageBackend = {
  kind: 'sd-webui',
  validate(call, _upstreamModel, channel) {
    requireN(call, maxBatch(channel), `This Stable Diffusion WebUI channel`);
    if (call.size) {
      const { width: w, height: h } = call.size;
      if (w < 64 || h < 64 || w > MAX_SIDE || h > MAX_SIDE || w % 8 || h % 8)
        throw invalidRequest(`The size ${sizeText(call.size)} is not supported by Stable Diffusion: width and height must be multiples of 8 between 64 and ${MAX_SIDE} (multiples of 64 work best).`, 'size', 'invalid_size');
    }
    const { steps, cfg_scale: cfg } = call.extra;
    if (steps !== undefined && (steps < 1 || steps > 150)) throw invalidRequest('extra.steps must be between 1 and 150.', 'extra.steps');
    if (cfg !== undefined && (cfg < 1 || cfg > 30)) throw invalidRequest('extra.cfg_scale must be between 1 and 30.', 'extra.cfg_scale');
    if (call.extra.strength !== undefined && (call.extra.strength < 0 || call.extra.strength > 1)) throw invalidRequest('extra.strength must be between 0 and 1.', 'extra.strength');
  },
  generate(call, upstreamModel, channel) {
    const body = baseBody(call, upstreamModel, call.size ?? { width: 1024, height: 1024 });
    return [{ request: webuiRequest(channel, 'txt2img', body), parse: (buf) => parseWebui(buf, call.n) }];
  },
  edit(call, upstreamModel, channel) {
    // Without a size, the result keeps the input image's size (as OpenAI's edits do).
    const size = call.size ?? imageSize(call.image!.data) ?? { width: 1024, height: 1024 };
    const body = baseBody(call, upstreamModel, size);
    body.init_images = [call.image!.data.toString('base64')];
    body.denoising_strength = call.extra.strength ?? 0.75;
    if (call.mask) body.mask = call.mask.data.toString('base64');
    return [{ request: webuiRequest(channel, 'img2img', body), parse: (buf) => parseWebui(buf, call.n) }];
  },
  classifyError: (status, text) => classifyWebuiError(status, text),
  steps: stepsFor,
};

function baseBody(call: ImageCall, checkpoint: string, size: { width: number; height: number }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    prompt: call.prompt,
    width: size.width,
    height: size.height,
    steps: stepsFor(call),
    batch_size: call.n,
    n_iter: 1,
    // Without return_grid:false a batch comes back with a grid image in front of it.
    override_settings: { sd_model_checkpoint: checkpoint, return_grid: false },
    send_images: true,
    save_images: false,
  };
  const x = call.extra;
  if (x.negative_prompt !== undefined) body.negative_prompt = x.negative_prompt;
  if (x.cfg_scale !== undefined) body.cfg_scale = x.cfg_scale;
  if (x.sampler !== undefined) body.sampler_name = x.sampler;
  if (x.seed !== undefined) body.seed = x.seed;
  return body;
}

/** Steps: the caller's, else by quality (OpenAI's `hd`/`high` buy more steps, `low` fewer). */
export function stepsFor(call: ImageCall): number {
  if (call.extra.steps !== undefined) return call.extra.steps;
  if (call.quality === 'hd' || call.quality === 'high') return 50;
  if (call.quality === 'low') return 20;
  return 30;
}

function maxBatch(channel: Channel): number {
  const v = channel.settings.maxBatch;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_MAX_BATCH;
}

/** `{images:[b64...], parameters, info}`: a grid may still come first, so the batch is the last `n` (§6.1). */
function parseWebui(buf: Buffer, n: number): ImageReply {
  const body = parseJsonBody(buf) as { images?: unknown };
  if (!Array.isArray(body?.images) || !body.images.every((i) => typeof i === 'string')) throw badResponse('it has no images array');
  if (body.images.length < n) throw badResponse(`it holds ${body.images.length} images where ${n} were asked for`);
  return { images: (body.images as string[]).slice(-n).map((b64) => ({ b64 })) };
}
