import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { encodeMultipart, type FormValue } from '../../media/multipart.js';
import { requireN, requireSizeIn, sizeText } from '../../formats/openai/images/sizes.js';
import type { ImageCall, ImageReply } from '../../formats/canonical/images.js';
import type { ImageBackend, ImageUpstreamCall } from '../types.js';
import { badResponse, parseJsonBody } from '../openai/images.js';
import { classifyStabilityError, stabilityAuth, stabilityRoot } from './wire.js';

const MAX_N = 10;
const RATIOS: [string, number][] = [
  ['21:9', 21 / 9], ['16:9', 16 / 9], ['3:2', 3 / 2], ['5:4', 5 / 4], ['1:1', 1],
  ['4:5', 4 / 5], ['2:3', 2 / 3], ['9:16', 9 / 16], ['9:21', 9 / 21],
];
/** The only sizes SDXL engines accept on v1. */
const SDXL_SIZES = ['1024x1024', '1152x896', '896x1152', '1216x832', '832x1216', '1344x768', '768x1344', '1536x640', '640x1536'];
/** OpenAI's `style` as Stability's nearest preset. */
const STYLE_PRESET: Record<string, string> = { vivid: 'cinematic', natural: 'photographic' };

type Api = 'v2beta' | 'v1';
const apiOf = (channel: Channel): Api => (channel.settings.stabilityApi === 'v1' ? 'v1' : 'v2beta');

/**
 * Stability (§6.3). v2beta: one image per multipart call (so `n` becomes n calls), the size becomes
 * the nearest aspect ratio, `hd`/`high` quality moves `core` to `ultra`, JSON answers
 * (`Accept: application/json`). v1: JSON text-to-image with `samples = n` and exact sizes.
 */
export const stabilityImageBackend: ImageBackend = {
  kind: 'stability',
  validate(call, upstreamModel, channel) {
    requireN(call, MAX_N, `the model ${call.model}`);
    if (apiOf(channel) === 'v1') {
      if (isXl(upstreamModel)) requireSizeIn(call, SDXL_SIZES, `the SDXL engine ${upstreamModel}`, false);
      else if (call.size && (call.size.width % 64 || call.size.height % 64 || Math.min(call.size.width, call.size.height) < 320 || Math.max(call.size.width, call.size.height) > 1536))
        throw invalidRequest(`The size ${sizeText(call.size)} is not supported by the engine ${upstreamModel}: sides must be multiples of 64 between 320 and 1536.`, 'size', 'invalid_size');
      const { steps, cfg_scale: cfg } = call.extra;
      if (steps !== undefined && (steps < 10 || steps > 50)) throw invalidRequest('extra.steps must be between 10 and 50 for Stability v1 engines.', 'extra.steps');
      if (cfg !== undefined && (cfg < 0 || cfg > 35)) throw invalidRequest('extra.cfg_scale must be between 0 and 35.', 'extra.cfg_scale');
    }
    if (call.extra.seed !== undefined && (call.extra.seed < 0 || call.extra.seed > 4294967294)) throw invalidRequest('extra.seed must be between 0 and 4294967294.', 'extra.seed');
  },
  // v2beta takes any size (it becomes the nearest aspect ratio); v1's SDXL engines only their list.
  sizes: (upstreamModel, _model, channel) => (apiOf(channel) === 'v1' && isXl(upstreamModel) ? SDXL_SIZES : null),
  generate: (call, upstreamModel, channel) => (apiOf(channel) === 'v1' ? [v1Call(call, upstreamModel, channel)] : v2betaCalls(call, upstreamModel, channel)),
  classifyError: classifyStabilityError,
  steps: (call) => (call.extra.steps ?? (call.quality === 'hd' || call.quality === 'high' ? 50 : 30)),
};

function isXl(engine: string): boolean {
  return /xl/i.test(engine);
}

function v2betaCalls(call: ImageCall, model: string, channel: Channel): ImageUpstreamCall[] {
  const endpoint = model.startsWith('sd3') ? 'sd3' : /ultra/.test(model) || call.quality === 'hd' || call.quality === 'high' ? 'ultra' : 'core';
  const headers: Record<string, string> = { accept: 'application/json', ...stabilityAuth(channel) };
  if (call.user) headers['stability-client-user-id'] = call.user;
  const url = `${stabilityRoot(channel)}/v2beta/stable-image/generate/${endpoint}`;
  return Array.from({ length: call.n }, (_, i) => {
    const entries: [string, FormValue][] = [['prompt', call.prompt], ['output_format', 'png']];
    if (call.size) entries.push(['aspect_ratio', nearestRatio(call.size.width / call.size.height)]);
    if (call.extra.negative_prompt) entries.push(['negative_prompt', call.extra.negative_prompt]);
    // A fixed seed would make n identical images: each call gets the next one.
    if (call.extra.seed !== undefined) entries.push(['seed', String(call.extra.seed === 0 ? 0 : call.extra.seed + i)]);
    if (endpoint === 'sd3') {
      entries.push(['model', model]);
      if (call.extra.cfg_scale !== undefined) entries.push(['cfg_scale', String(call.extra.cfg_scale)]);
    }
    if (call.style && STYLE_PRESET[call.style] && endpoint === 'core') entries.push(['style_preset', STYLE_PRESET[call.style]]);
    const form = encodeMultipart(entries);
    return {
      request: { method: 'POST' as const, url, headers: { ...headers, 'content-type': form.contentType }, body: form.body },
      parse: (buf: Buffer) => {
        const body = parseJsonBody(buf) as { image?: string; finish_reason?: string };
        if (typeof body?.image !== 'string') throw badResponse('it has no image');
        filtered(body.finish_reason);
        return { images: [{ b64: body.image }] } satisfies ImageReply;
      },
    };
  });
}

function v1Call(call: ImageCall, engine: string, channel: Channel): ImageUpstreamCall {
  const size = call.size ?? (isXl(engine) ? { width: 1024, height: 1024 } : { width: 512, height: 512 });
  const prompts: { text: string; weight: number }[] = [{ text: call.prompt, weight: 1 }];
  if (call.extra.negative_prompt) prompts.push({ text: call.extra.negative_prompt, weight: -1 });
  const body: Record<string, unknown> = {
    text_prompts: prompts,
    width: size.width,
    height: size.height,
    samples: call.n,
    steps: stabilityImageBackend.steps!(call),
  };
  if (call.extra.cfg_scale !== undefined) body.cfg_scale = call.extra.cfg_scale;
  if (call.extra.seed !== undefined) body.seed = call.extra.seed;
  if (call.extra.sampler) body.sampler = call.extra.sampler;
  if (call.style && STYLE_PRESET[call.style]) body.style_preset = STYLE_PRESET[call.style];
  return {
    request: {
      method: 'POST',
      url: `${stabilityRoot(channel)}/v1/generation/${encodeURIComponent(engine)}/text-to-image`,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...stabilityAuth(channel) },
      body: JSON.stringify(body),
    },
    parse: (buf) => {
      const res = parseJsonBody(buf) as { artifacts?: { base64?: string; finishReason?: string }[] };
      if (!Array.isArray(res?.artifacts)) throw badResponse('it has no artifacts');
      return {
        images: res.artifacts.map((a) => {
          filtered(a?.finishReason);
          if (typeof a?.base64 !== 'string') throw badResponse('an artifact has no base64');
          return { b64: a.base64 };
        }),
      };
    },
  };
}

/** A filtered image comes back with 200 and a blurred picture; the caller is told instead (§6.3). */
function filtered(reason: string | undefined): void {
  if (reason === 'CONTENT_FILTERED')
    throw new GatewayError('invalid_request', 'The provider filtered the generated image for content policy reasons.', { code: 'content_policy_violation' });
  if (reason === 'ERROR') throw new GatewayError('upstream', 'The provider reported an error while generating the image.', { code: 'upstream_error' });
}

export function nearestRatio(r: number): string {
  let best = RATIOS[0];
  for (const x of RATIOS) if (Math.abs(Math.log(x[1] / r)) < Math.abs(Math.log(best[1] / r))) best = x;
  return best[0];
}
