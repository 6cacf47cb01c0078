// OpenAI POST /v1/images/generations (§1.6): dall-e-2/3 (url or b64_json) and gpt-image models
// (always b64_json, with token usage). URLs point back at the simulator's own image store.
import { concreteSeed, parseSize, renderImage } from '../images.js';
import { readPngSize } from '../png.js';
import type { Ctx, Outcome, Route } from '../route.js';
import { azureDialect } from './azure.js';
import { openaiDialect, openaiError } from './openai.js';

/** gpt-image-1 output tokens for a square image by quality (published pricing table). */
const GPT_IMAGE_TOKENS: Record<string, number> = { low: 272, medium: 1056, high: 4160, auto: 1056 };

export function imagesGeneration(ctx: Ctx, modelOverride?: string): Outcome {
  const b = ctx.body;
  if (!b || typeof b.prompt !== 'string' || !b.prompt) return openaiError(400, "'prompt' is a required property", 'missing_required_parameter', 'prompt');
  const model = modelOverride ?? (typeof b.model === 'string' ? b.model : 'dall-e-2');
  const gptImage = model.startsWith('gpt-image') || model.startsWith('chatgpt-image');
  const n = Number(b.n ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > 10) return openaiError(400, `Invalid 'n': must be between 1 and 10.`, 'invalid_value', 'n');
  if (model === 'dall-e-3' && n !== 1) return openaiError(400, 'You must provide n=1 for this model.', 'invalid_value', 'n');
  const [width, height] = parseSize(b.size, [1024, 1024]);
  const b64 = gptImage || b.response_format === 'b64_json';
  const data = [];
  for (let i = 0; i < n; i++) {
    const png = renderImage({ prompt: b.prompt, width, height, seed: concreteSeed(undefined, b.prompt, i) });
    const item: Record<string, unknown> = b64 ? { b64_json: png.toString('base64') } : { url: `${ctx.sim.baseUrl(ctx.req)}/_sim/images/${ctx.sim.storeImage(png)}.png` };
    if (model === 'dall-e-3') item.revised_prompt = b.prompt;
    data.push(item);
  }
  const out: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), data };
  if (gptImage) {
    const quality = typeof b.quality === 'string' ? b.quality : 'auto';
    Object.assign(out, { size: `${width}x${height}`, quality, background: b.background ?? 'opaque', output_format: 'png' });
    if (!ctx.controls.noUsage) {
      const input = ctx.sim.tokens.count(b.prompt);
      const output = (GPT_IMAGE_TOKENS[quality] ?? 1056) * n;
      out.usage = { input_tokens: input, output_tokens: output, total_tokens: input + output, input_tokens_details: { text_tokens: input, image_tokens: 0 } };
    }
  }
  return { kind: 'json', body: out };
}

/**
 * POST /v1/images/edits (multipart: image, mask?, prompt, n, size, response_format): the answer is
 * a generation of the requested size, or of the input image's size when none is given.
 */
export function imagesEdit(ctx: Ctx, modelOverride?: string): Outcome {
  const f = (ctx.body && typeof ctx.body === 'object' ? ctx.body : {}) as Record<string, string>;
  const image = ctx.files.image ?? ctx.files['image[]'];
  if (!image) return openaiError(400, "'image' is a required property", 'missing_required_parameter', 'image');
  const input = readPngSize(image.data);
  if (!input) return openaiError(400, 'Invalid input image - format must be in [png].', 'invalid_image_format', 'image');
  if (ctx.files.mask && !readPngSize(ctx.files.mask.data)) return openaiError(400, 'Invalid mask image - format must be in [png].', 'invalid_image_format', 'mask');
  const body = { ...f, n: f.n === undefined ? 1 : Number(f.n), size: f.size ?? `${input.width}x${input.height}` };
  return imagesGeneration({ ...ctx, body }, modelOverride);
}

const promptOf = (b: { prompt?: unknown }): string => (typeof b.prompt === 'string' ? b.prompt : '');

export const openaiImageRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/images\/generations$/,
    dialect: openaiDialect,
    directiveText: promptOf,
    model: (ctx) => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined),
    handle: (ctx) => imagesGeneration(ctx),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/images\/edits$/,
    dialect: openaiDialect,
    directiveText: promptOf,
    model: (ctx) => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined),
    handle: (ctx) => imagesEdit(ctx),
  },
  {
    method: 'POST',
    pattern: /^\/openai\/deployments\/(?<deployment>[^/]+)\/images\/generations$/,
    dialect: azureDialect,
    directiveText: promptOf,
    model: (ctx) => decodeURIComponent(ctx.params.deployment),
    handle: (ctx) => (ctx.query['api-version'] ? imagesGeneration(ctx, decodeURIComponent(ctx.params.deployment)) : { kind: 'json', status: 404, body: { error: { code: '404', message: 'Resource not found' } } }),
  },
];
