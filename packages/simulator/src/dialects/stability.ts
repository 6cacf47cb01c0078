// Stability AI REST (§6.2): v2beta stable-image generate (multipart form; image bytes or JSON
// base64 by Accept) and the legacy v1 JSON text-to-image with `artifacts`.
import { header } from '../http.js';
import { concreteSeed, renderImage } from '../images.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { bearer } from './openai.js';

export function stabilityError(status: number, message: string, name?: string): Outcome {
  const n = name ?? ({ 400: 'bad_request', 401: 'unauthorized', 403: 'content_moderation', 404: 'not_found', 413: 'payload_too_large', 429: 'rate_limit_exceeded' } as Record<number, string>)[status] ?? 'internal_error';
  return { kind: 'json', status, body: { id: 'sim0000000000000000000000000000', name: n, errors: [message] } };
}

export const stabilityDialect: Dialect = {
  name: 'stability',
  authorize(ctx, apiKey) {
    const key = bearer(ctx.req);
    if (key === apiKey) return null;
    return stabilityError(401, key ? 'authorization: invalid API key' : 'authorization: missing');
  },
  error: (status, message, code) => stabilityError(status, message, code),
  modelNotFound: (model) => stabilityError(404, `model: ${model} not found`),
};

const RATIOS: Record<string, [number, number]> = {
  '21:9': [21, 9], '16:9': [16, 9], '3:2': [3, 2], '5:4': [5, 4], '1:1': [1, 1],
  '4:5': [4, 5], '2:3': [2, 3], '9:16': [9, 16], '9:21': [9, 21],
};

/** About one megapixel in the requested ratio, sides rounded to multiples of 64. */
export function sizeForRatio(ratio: string): [number, number] | null {
  const r = RATIOS[ratio];
  if (!r) return null;
  const w = Math.sqrt((1024 * 1024 * r[0]) / r[1]);
  const h = (w * r[1]) / r[0];
  return [Math.round(w / 64) * 64, Math.round(h / 64) * 64];
}

function v2beta(ctx: Ctx): Outcome {
  const ct = header(ctx.req, 'content-type') ?? '';
  if (!ct.toLowerCase().startsWith('multipart/form-data')) return stabilityError(400, 'content-type: must be multipart/form-data');
  const f = (ctx.body ?? {}) as Record<string, string>;
  const prompt = f.prompt ?? '';
  if (!prompt) return stabilityError(400, 'prompt: cannot be empty');
  const ratio = f.aspect_ratio ?? '1:1';
  const size = sizeForRatio(ratio);
  if (!size) return stabilityError(400, `aspect_ratio: must be one of ${Object.keys(RATIOS).join(', ')}`);
  const seed = concreteSeed(f.seed, prompt);
  const png = renderImage({ prompt, width: size[0], height: size[1], seed });
  const accept = header(ctx.req, 'accept') ?? 'image/*';
  if (accept.includes('application/json')) return { kind: 'json', body: { image: png.toString('base64'), finish_reason: 'SUCCESS', seed } };
  // Always PNG bytes: the simulator has no JPEG/WebP encoder (documented deviation).
  return { kind: 'bytes', body: png, contentType: 'image/png', headers: { 'finish-reason': 'SUCCESS', seed: String(seed) } };
}

function v1TextToImage(ctx: Ctx): Outcome {
  const b = ctx.body;
  const err = (status: number, message: string, name = 'bad_request'): Outcome => ({ kind: 'json', status, body: { id: 'sim0000000000000000000000000000', name, message } });
  if (!b || !Array.isArray(b.text_prompts) || b.text_prompts.length === 0) return err(400, 'text_prompts: cannot be empty');
  const prompt = b.text_prompts
    .filter((t: { weight?: number }) => (t?.weight ?? 1) >= 0)
    .map((t: { text?: string }) => t?.text ?? '')
    .join(' ');
  const xl = ctx.params.engine.includes('xl');
  const width = Number(b.width) || (xl ? 1024 : 512);
  const height = Number(b.height) || (xl ? 1024 : 512);
  if (width % 64 !== 0 || height % 64 !== 0) return err(400, 'width and height must be multiples of 64');
  const samples = Math.max(1, Math.min(10, Number(b.samples) || 1));
  const base = concreteSeed(b.seed, prompt);
  const accept = header(ctx.req, 'accept') ?? 'application/json';
  if (accept.startsWith('image/png')) {
    if (samples > 1) return err(400, 'samples: must be 1 when accept is image/png');
    return { kind: 'bytes', body: renderImage({ prompt, width, height, seed: base }), contentType: 'image/png', headers: { 'finish-reason': 'SUCCESS', seed: String(base) } };
  }
  const artifacts = Array.from({ length: samples }, (_, i) => ({
    base64: renderImage({ prompt, width, height, seed: base + i }).toString('base64'),
    seed: base + i,
    finishReason: 'SUCCESS',
  }));
  return { kind: 'json', body: { artifacts } };
}

const ENGINES = ['stable-diffusion-xl-1024-v1-0', 'stable-diffusion-v1-6'];

export const stabilityRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v2beta\/stable-image\/generate\/(?<mode>ultra|core|sd3)$/,
    dialect: stabilityDialect,
    directiveText: (b) => (typeof b.prompt === 'string' ? b.prompt : ''),
    handle: v2beta,
  },
  {
    method: 'POST',
    pattern: /^\/v1\/generation\/(?<engine>[^/]+)\/text-to-image$/,
    dialect: stabilityDialect,
    directiveText: (b) => (Array.isArray(b.text_prompts) ? String(b.text_prompts[0]?.text ?? '') : ''),
    model: (ctx) => ctx.params.engine,
    handle: v1TextToImage,
  },
  {
    method: 'GET',
    pattern: /^\/v1\/engines\/list$/,
    dialect: stabilityDialect,
    handle: () => ({ kind: 'json', body: ENGINES.map((id) => ({ id, name: id, description: `Simulated ${id}`, type: 'PICTURE' })) }),
  },
];
