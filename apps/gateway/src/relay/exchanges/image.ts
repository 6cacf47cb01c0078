import type { KeyContext } from '../../apps/keys.js';
import type { Channel, ChannelStore } from '../../channels/channels.js';
import type { Quote, Usage } from '../../core/calls.js';
import { Cancellation } from '../../core/cancel.js';
import { asGatewayError, GatewayError } from '../../core/errors.js';
import type { ImageCall, ImageReply } from '../../formats/canonical/images.js';
import { countText, type OffLoopCounter } from '../../formats/tokens.js';
import type { ImageLinks } from '../../media/storage.js';
import { imageType } from '../../media/image-bytes.js';
import { checkFetchableUrl, hostIsInternal, RefusedUrl } from '../../media/url-guard.js';
import type { ImageBackend, ImageUpstreamCall } from '../../providers/types.js';
import { classifyWebuiError, webuiRequest } from '../../providers/sd-webui/wire.js';
import { AttemptFailure } from '../call.js';
import type { Answered, Attempt, Exchange, Plan } from '../pipeline.js';
import type { Route } from '../router.js';
import { upstreamTransportError, type ResponseBody } from '../upstream.js';

/**
 * The content-safety seam for prompts: throws a GatewayError to refuse. The default lets
 * everything through; a safety module plugs in here.
 */
export type PromptCheck = (prompt: string, ctx: { key: KeyContext; model: string; endpoint: string }) => Promise<void>;
export const allowAllPrompts: PromptCheck = async () => undefined;

export interface ImageDeps {
  links: ImageLinks;
  checkPrompt: PromptCheck;
  /** Largest image the gateway downloads from a provider's URL. */
  maxDownloadBytes?: number;
  channels: ChannelStore;
  /** Counts large prompts off the event loop (formats/count-thread.ts). */
  counter: OffLoopCounter;
}

export interface ImageJob {
  key: KeyContext;
  endpoint: string;
  mode: 'generate' | 'edit';
  call: ImageCall;
  /** Absolute base of the gateway's own links (`https://gw.example.com`). */
  publicBase: string;
}

/**
 * Image price factor against the standard image (1024x1024, standard quality, 30 steps): by pixel
 * count, ×2 for `hd` / `high` quality (½ for `low`), and by sampling steps for diffusion models.
 */
export function imageFactorPpm(size: { width: number; height: number } | null, quality?: string, steps?: number): number {
  let factor = 1;
  if (size) factor *= (size.width * size.height) / (1024 * 1024);
  if (quality === 'hd' || quality === 'high') factor *= 2;
  else if (quality === 'low') factor *= 0.5;
  if (steps) factor *= steps / 30;
  return Math.max(1, Math.round(factor * 1_000_000));
}

function imageQuote(promptTokens: number, n: number, factorPpm: number): Quote {
  return { units: { promptTokens, completionTokens: 0, cachedTokens: 0, images: n, imageFactorPpm: factorPpm, estimated: true }, maxOutputTokens: 0, choices: 1 };
}

/**
 * OpenAI-shaped image calls on any provider: each route checked against its provider's rules,
 * safety, then per attempt the provider's upstream call(s) — several at once where it makes one
 * image per call, the first failure cancelling the rest — and the images as base64 or signed links.
 */
export class ImageExchange implements Exchange {
  private promptTokens = 0;
  private factorPpm = 1_000_000;

  constructor(
    private readonly deps: ImageDeps,
    private readonly job: ImageJob,
  ) {}

  async plan(routesFor: (model: string) => Promise<Route[]>): Promise<Plan> {
    const { call, key, endpoint } = this.job;
    await this.deps.checkPrompt(call.prompt, { key, model: call.model, endpoint });
    const routes = usableRoutes(await routesFor(call.model), call, this.job.mode);
    // Priced as the first channel would run it: the size it makes and, for diffusion, its steps.
    this.factorPpm = imageFactorPpm(call.size, call.quality, routes[0].adapter.images!.steps?.(call));
    const quote = imageQuote(await countText(call.prompt, this.deps.counter), call.n, this.factorPpm);
    this.promptTokens = quote.units.promptTokens;
    return { routes, quote };
  }

  async attempt(route: Route, at: Attempt): Promise<Answered> {
    const backend = route.adapter.images!;
    const { call } = this.job;
    const calls = this.job.mode === 'edit' ? backend.edit!(call, route.upstreamModel, route.channel) : backend.generate(call, route.upstreamModel, route.channel);
    // One switch for this attempt's calls: the caller leaving or one call failing stops them all.
    const local = new Cancellation();
    const onAbort = () => local.abort();
    at.signal.addEventListener('abort', onAbort);
    let reply: ImageReply;
    try {
      const replies = await Promise.all(calls.map((uc) => this.one(uc, backend, route, at, local)));
      const withTokens = replies.filter((r) => r.tokens);
      reply = {
        images: replies.flatMap((r) => r.images),
        tokens: withTokens.length ? withTokens.reduce((t, r) => ({ input: t.input + r.tokens!.input, output: t.output + r.tokens!.output }), { input: 0, output: 0 }) : undefined,
      };
    } finally {
      local.abort();
      at.signal.removeEventListener('abort', onAbort);
    }
    const data = await this.render(reply, route, at);
    const usage: Usage = { promptTokens: reply.tokens?.input ?? this.promptTokens, completionTokens: 0, cachedTokens: 0, images: data.length, imageFactorPpm: this.factorPpm, estimated: !reply.tokens };
    const body: { created: number; data: Record<string, string>[]; usage?: Record<string, number> } = { created: Math.floor(Date.now() / 1000), data };
    if (reply.tokens) body.usage = { input_tokens: reply.tokens.input, output_tokens: reply.tokens.output, total_tokens: reply.tokens.input + reply.tokens.output };
    return { reply: { status: 200, contentType: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(body)), headers: {} }, usage };
  }

  private async one(uc: ImageUpstreamCall, backend: ImageBackend, route: Route, at: Attempt, signal: Cancellation): Promise<ImageReply> {
    const res = await at.send(route, () => uc.request, backend.classifyError.bind(backend), signal);
    const buf = await readAll(res.body);
    try {
      return uc.parse(buf, res.headers);
    } catch (err) {
      const e = asGatewayError(err);
      // An unreadable answer may be this channel's trouble; a content-policy refusal is not.
      throw new AttemptFailure(e, null, e.kind === 'upstream');
    }
  }

  /** OpenAI's `data` items: base64 as produced, or a signed gateway link to the stored bytes. */
  private async render(reply: ImageReply, route: Route, at: Attempt): Promise<Record<string, string>[]> {
    return Promise.all(
      reply.images.map(async (img) => {
        const bytes = 'b64' in img ? Buffer.from(img.b64, 'base64') : await this.download(img.url, route, at);
        const item: Record<string, string> =
          this.job.call.responseFormat === 'url' ? { url: this.job.publicBase + (await this.deps.links.save(bytes)) } : { b64_json: 'b64' in img ? img.b64 : bytes.toString('base64') };
        if (img.revisedPrompt) item.revised_prompt = img.revisedPrompt;
        return item;
      }),
    );
  }

  /** Providers that answer with their own short-lived URLs (CogView): the gateway fetches the bytes. */
  private async download(url: string, route: Route, at: Attempt): Promise<Buffer> {
    const limit = this.deps.maxDownloadBytes ?? 50 * 1024 * 1024;
    try {
      await checkFetchableUrl(url, await channelIsLocal(route.channel));
    } catch (err) {
      if (!(err instanceof RefusedUrl)) throw err;
      // A channel handing out such links is misconfigured or compromised: another channel may serve the call.
      throw new AttemptFailure(new GatewayError('upstream', `The provider's image link ${err.message}; the gateway does not fetch it.`, { code: 'image_url_refused' }), null, true);
    }
    const res = await at.send(route, () => ({ method: 'GET', url, headers: {} }), (status) => ({
      error: new GatewayError('upstream', `The provider's image link answered HTTP ${status}.`, { code: 'image_download_failed' }),
      retryable: true,
    }));
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > limit) {
          res.body.destroy();
          throw new AttemptFailure(new GatewayError('upstream', 'The provider sent an image larger than the gateway accepts.', { code: 'image_too_large' }), null, false);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof AttemptFailure) throw err;
      throw new AttemptFailure(upstreamTransportError(err), null, true);
    }
    const bytes = Buffer.concat(chunks);
    if (!imageType(bytes)) throw new AttemptFailure(new GatewayError('upstream', "The provider's image link did not answer with an image (PNG, JPEG, WebP or GIF).", { code: 'image_download_failed' }), null, true);
    return bytes;
  }
}

/**
 * A channel whose links may point to internal addresses: marked so (`settings.allowLocalUrls: true`),
 * or itself on a loopback or private address (a self-hosted model server) unless marked `false`.
 */
async function channelIsLocal(channel: Channel): Promise<boolean> {
  const flag = channel.settings.allowLocalUrls;
  if (flag === true) return true;
  if (flag === false) return false;
  try {
    return await hostIsInternal(new URL(channel.baseUrl).hostname);
  } catch {
    return false;
  }
}

export interface WebuiJob {
  key: KeyContext;
  endpoint: '/sdapi/v1/txt2img' | '/sdapi/v1/img2img';
  body: Record<string, unknown> & { prompt?: unknown; batch_size?: number; n_iter?: number; width?: number; height?: number; steps?: number; override_settings?: { sd_model_checkpoint?: string } };
  /** Set by plan(): the checkpoint the call runs on (the caller's, or the first WebUI channel's). */
  model?: string;
}

/**
 * A1111's own API through the gateway: the body goes to a `sd-webui` channel as the client sent it
 * (only the checkpoint name is mapped, as text calls map model names), and the WebUI's answer comes
 * back byte for byte. Metered per image like every other image call.
 */
export class WebuiExchange implements Exchange {
  /** The prompt's count, made once when the call is planned. */
  private promptTokens = 0;

  constructor(
    private readonly deps: ImageDeps,
    private readonly job: WebuiJob,
    /** Called with the model once plan() resolved it (the log and the admission use it). */
    private readonly onModel: (model: string) => void,
  ) {}

  private get prompt(): string {
    return typeof this.job.body.prompt === 'string' ? this.job.body.prompt : '';
  }

  async plan(routesFor: (model: string) => Promise<Route[]>): Promise<Plan> {
    const b = this.job.body;
    const model = b.override_settings?.sd_model_checkpoint || (await this.defaultModel(this.job.key.group));
    this.job.model = model;
    this.onModel(model);
    if (this.prompt) await this.deps.checkPrompt(this.prompt, { key: this.job.key, model, endpoint: this.job.endpoint });
    const routes = (await routesFor(model)).filter((r) => r.channel.provider === 'sd-webui');
    if (routes.length === 0)
      throw new GatewayError('invalid_request', `The model \`${model}\` is not served by a Stable Diffusion WebUI channel, so /sdapi/v1/* cannot reach it; use /v1/images/generations.`, { param: 'model', code: 'unsupported_operation' });
    const n = (b.batch_size ?? 1) * (b.n_iter ?? 1);
    this.promptTokens = await countText(this.prompt, this.deps.counter);
    return { routes, quote: imageQuote(this.promptTokens, n, imageFactorPpm({ width: b.width ?? 512, height: b.height ?? 512 }, undefined, b.steps ?? 50)) };
  }

  async attempt(route: Route, at: Attempt): Promise<Answered> {
    const b = this.job.body;
    const body: Record<string, unknown> = { ...b };
    if (b.override_settings?.sd_model_checkpoint && route.upstreamModel !== b.override_settings.sd_model_checkpoint)
      body.override_settings = { ...b.override_settings, sd_model_checkpoint: route.upstreamModel };
    let refusal: { status: number; text: string } | null = null;
    try {
      const res = await at.send(route, () => webuiRequest(route.channel, this.job.endpoint.endsWith('img2img') ? 'img2img' : 'txt2img', body), (status, text) => {
        refusal = { status, text };
        return classifyWebuiError(status, text);
      });
      const bytes = await readAll(res.body);
      let produced: number;
      try {
        const json = JSON.parse(bytes.toString('utf8')) as { images?: unknown[] };
        if (!Array.isArray(json.images)) throw new Error('no images');
        produced = Math.min(json.images.length, (b.batch_size ?? 1) * (b.n_iter ?? 1));
      } catch {
        throw new AttemptFailure(new GatewayError('upstream', 'The WebUI sent a response the gateway cannot read.', { code: 'bad_upstream_response' }), null, true);
      }
      const usage: Usage = { promptTokens: this.promptTokens, completionTokens: 0, cachedTokens: 0, images: produced, imageFactorPpm: imageFactorPpm({ width: b.width ?? 512, height: b.height ?? 512 }, undefined, b.steps ?? 50), estimated: true };
      return { reply: { status: 200, contentType: 'application/json', body: bytes, headers: {} }, usage };
    } catch (err) {
      // The caller's own mistakes come back in the WebUI's exact words and status.
      const r = refusal as { status: number; text: string } | null;
      if (err instanceof AttemptFailure && r && err.error.kind === 'invalid_request' && !err.retryable)
        return { reply: { status: r.status, contentType: 'application/json', body: Buffer.from(r.text), headers: {} }, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, estimated: false }, failed: { status: r.status, error: err.error } };
      throw err;
    }
  }

  /** The first model of the highest-priority WebUI channel the caller's group may use. */
  private async defaultModel(group: string): Promise<string> {
    const channels = (await webuiChannels(this.deps.channels, group)).filter((c) => c.models.length > 0);
    if (channels.length === 0) throw new GatewayError('not_found', 'No Stable Diffusion WebUI channel is available to you.', { code: 'model_not_found' });
    return channels[0].models[0];
  }
}

/** WebUI channels a group may use, highest priority first. */
async function webuiChannels(channels: ChannelStore, group: string): Promise<Channel[]> {
  return (await channels.active()).filter((c) => c.provider === 'sd-webui' && (c.groups.length === 0 || c.groups.includes(group))).sort((a, b) => b.priority - a.priority);
}

/** Models of the WebUI channels a group may use, for `GET /sdapi/v1/sd-models`. */
export async function webuiModels(channels: ChannelStore, group: string): Promise<string[]> {
  const seen = new Set<string>();
  for (const c of await webuiChannels(channels, group)) for (const m of [...c.models, ...Object.keys(c.modelMap)]) seen.add(m);
  return [...seen];
}

/**
 * The routes whose provider can make this image, each checked against its provider's rules. When
 * none passes, the first route's complaint is the answer (it says the provider's limit).
 */
function usableRoutes(routes: Route[], call: ImageCall, mode: ImageJob['mode']): Route[] {
  const out: Route[] = [];
  let first: unknown = null;
  for (const route of routes) {
    const backend = route.adapter.images;
    try {
      if (!backend) throw new GatewayError('invalid_request', `The model \`${call.model}\` does not make images on this gateway.`, { param: 'model', code: 'unsupported_operation' });
      if (mode === 'edit' && !backend.edit)
        throw new GatewayError('invalid_request', `The model \`${call.model}\` cannot edit images (its provider, ${route.adapter.label}, has no image-to-image). Use /v1/images/generations, or a Stable Diffusion WebUI or OpenAI model.`, {
          param: 'model',
          code: 'unsupported_operation',
        });
      backend.validate(call, route.upstreamModel, route.channel);
      out.push(route);
    } catch (err) {
      first ??= err;
    }
  }
  if (out.length === 0) throw first;
  return out;
}

/** Reads a whole answer; a connection lost on the way is the channel's trouble. */
export async function readAll(body: ResponseBody): Promise<Buffer> {
  try {
    return await body.bytes();
  } catch (err) {
    throw new AttemptFailure(upstreamTransportError(err), null, true);
  }
}
