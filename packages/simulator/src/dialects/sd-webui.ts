// AUTOMATIC1111 WebUI API (§6.1): txt2img/img2img returning real PNGs in base64, model list,
// samplers, options, progress; optional HTTP Basic auth (`--api-auth`), FastAPI-style errors.
import { timingSafeEqual } from 'node:crypto';
import { header } from '../http.js';
import { concreteSeed, renderImage } from '../images.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';

export function webuiError(status: number, message: string): Outcome {
  return { kind: 'json', status, body: { error: 'HTTPException', detail: message, body: '', errors: '' } };
}

function basicOk(ctx: Ctx, expected: string): boolean {
  const m = /^Basic\s+(.+)$/i.exec(header(ctx.req, 'authorization') ?? '');
  if (!m) return false;
  const given = Buffer.from(Buffer.from(m[1], 'base64').toString('utf8'));
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

export const webuiDialect: Dialect = {
  name: 'sd-webui',
  gate(ctx) {
    const cred = ctx.sim.options.basicAuth;
    if (!cred || basicOk(ctx, cred)) return null;
    return { kind: 'json', status: 401, body: { detail: 'Incorrect username or password' }, headers: { 'www-authenticate': 'Basic' } };
  },
  authorize: () => null, // WebUI has no API keys; only the Basic gate above
  error: (status, message) => webuiError(status, message),
  modelNotFound: (model) => webuiError(404, `Model ${model} not found`),
};

const SAMPLERS = ['Euler a', 'Euler', 'LMS', 'Heun', 'DPM2', 'DPM++ 2M', 'DPM++ SDE', 'DPM++ 2M SDE', 'DDIM', 'UniPC'];
const MODELS = [
  { title: 'v1-5-pruned-emaonly.safetensors [6ce0161689]', model_name: 'v1-5-pruned-emaonly', hash: '6ce0161689', sha256: '6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa', filename: '/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors', config: null },
  { title: 'sd_xl_base_1.0.safetensors [31e35c80fc]', model_name: 'sd_xl_base_1.0', hash: '31e35c80fc', sha256: '31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b', filename: '/models/Stable-diffusion/sd_xl_base_1.0.safetensors', config: null },
];

function generateImages(ctx: Ctx, img2img: boolean): Outcome {
  const b = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
  if (img2img && (!Array.isArray(b.init_images) || b.init_images.length === 0)) return webuiError(404, 'Init image not found');
  const sampler = b.sampler_name || b.sampler_index || 'Euler';
  if (!SAMPLERS.includes(sampler)) return webuiError(404, 'Sampler not found');
  const prompt = typeof b.prompt === 'string' ? b.prompt : '';
  const width = Number(b.width) || 512;
  const height = Number(b.height) || 512;
  const steps = Number(b.steps) || 50;
  const cfg = Number(b.cfg_scale) || 7;
  const count = Math.max(1, Math.min(16, (Number(b.batch_size) || 1) * (Number(b.n_iter) || 1)));
  const seed = concreteSeed(b.seed, prompt);
  const checkpoint = String(b.override_settings?.sd_model_checkpoint ?? ctx.sim.sdOptions.sd_model_checkpoint);
  const modelName = MODELS.find((m) => m.title === checkpoint)?.model_name ?? checkpoint.replace(/\.safetensors.*$/, '');
  const images: string[] = [];
  const infotexts: string[] = [];
  const seeds: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = seed + i;
    const infotext = `${prompt}\nNegative prompt: ${b.negative_prompt ?? ''}\nSteps: ${steps}, Sampler: ${sampler}, CFG scale: ${cfg}, Seed: ${s}, Size: ${width}x${height}, Model: ${modelName}`;
    images.push(renderImage({ prompt, width, height, seed: s }, { parameters: infotext }).toString('base64'));
    infotexts.push(infotext);
    seeds.push(s);
  }
  const info = {
    prompt,
    all_prompts: seeds.map(() => prompt),
    negative_prompt: b.negative_prompt ?? '',
    seed,
    all_seeds: seeds,
    subseed: seed,
    all_subseeds: seeds,
    width,
    height,
    sampler_name: sampler,
    cfg_scale: cfg,
    steps,
    batch_size: Number(b.batch_size) || 1,
    sd_model_name: modelName,
    infotexts,
  };
  const parameters = { ...b, prompt, width, height, steps, cfg_scale: cfg, seed: b.seed ?? -1, sampler_name: sampler };
  if (img2img) delete (parameters as Record<string, unknown>).init_images; // the real API echoes them, but they are large
  return { kind: 'json', body: { images, parameters, info: JSON.stringify(info) }, headers: { 'x-process-time': '0.01' } };
}

const promptOf = (b: { prompt?: unknown }): string => (typeof b.prompt === 'string' ? b.prompt : '');

export const webuiRoutes: Route[] = [
  { method: 'POST', pattern: /^\/sdapi\/v1\/txt2img$/, dialect: webuiDialect, directiveText: promptOf, handle: (ctx) => generateImages(ctx, false) },
  { method: 'POST', pattern: /^\/sdapi\/v1\/img2img$/, dialect: webuiDialect, directiveText: promptOf, handle: (ctx) => generateImages(ctx, true) },
  { method: 'GET', pattern: /^\/sdapi\/v1\/sd-models$/, dialect: webuiDialect, handle: () => ({ kind: 'json', body: MODELS }) },
  { method: 'GET', pattern: /^\/sdapi\/v1\/samplers$/, dialect: webuiDialect, handle: () => ({ kind: 'json', body: SAMPLERS.map((name) => ({ name, aliases: [], options: {} })) }) },
  { method: 'GET', pattern: /^\/sdapi\/v1\/options$/, dialect: webuiDialect, handle: (ctx) => ({ kind: 'json', body: ctx.sim.sdOptions }) },
  {
    method: 'POST',
    pattern: /^\/sdapi\/v1\/options$/,
    dialect: webuiDialect,
    handle: (ctx) => {
      if (ctx.body && typeof ctx.body === 'object') Object.assign(ctx.sim.sdOptions, ctx.body);
      return { kind: 'json', body: null };
    },
  },
  {
    method: 'GET',
    pattern: /^\/sdapi\/v1\/progress$/,
    dialect: webuiDialect,
    handle: () => ({ kind: 'json', body: { progress: 0, eta_relative: 0, state: { skipped: false, interrupted: false, job: '', job_count: 0, job_no: 0, sampling_step: 0, sampling_steps: 0 }, current_image: null, textinfo: null } }),
  },
  { method: 'POST', pattern: /^\/sdapi\/v1\/(?:interrupt|skip|refresh-checkpoints)$/, dialect: webuiDialect, handle: () => ({ kind: 'json', body: {} }) },
];
