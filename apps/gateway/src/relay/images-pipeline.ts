import type { KeyContext } from '../apps/keys.js';
import type { Channel, ChannelStore } from '../channels/channels.js';
import { asGatewayError, GatewayError } from '../core/errors.js';
import { applyUsage, finish, Relay, type RelayRequest } from './pipeline.js';
import type { Admission, CallPolicy } from './policy.js';
import type { RequestLogWriter } from './request-log.js';
import type { Route, Router } from './router.js';
import type { Admitted } from './health/circuit.js';
import type { ChannelGate } from './health/gate.js';
import { countTokens } from '../formats/tokens.js';
import type { Usage } from '../core/calls.js';
import { ZERO_USAGE } from '../core/calls.js';
import type { UpstreamClient } from './upstream.js';
import { upstreamTransportError } from './upstream.js';
import { classifyWebuiError, webuiRequest } from '../providers/sd-webui/index.js';
import { imageBackendFor } from '../providers/image-backends.js';
import type { WebuiGenerationBody } from '../formats/openai/images/schemas.js';
import { sizeText } from '../formats/openai/images/sizes.js';
import type { ImageLinks } from '../media/storage.js';
import type { ImageCall, ImageReply } from '../formats/canonical/images.js';
import type { ImageBackend, ImageUpstreamCall } from '../providers/images.js';

/**
 * The content-safety seam for prompts: throws a GatewayError to refuse. Today the gateway has no
 * safety module, so the default lets everything through; when one exists it plugs in here.
 */
export type PromptCheck = (prompt: string, ctx: { key: KeyContext; model: string; endpoint: string }) => Promise<void>;
export const allowAllPrompts: PromptCheck = async () => undefined;

export interface ImagePipelineDeps {
  router: Router;
  channels: ChannelStore;
  upstream: UpstreamClient;
  policy: CallPolicy;
  logWriter: RequestLogWriter;
  links: ImageLinks;
  checkPrompt: PromptCheck;
  /** Channels tried at most per call (retryable failures move to the next). */
  maxAttempts: number;
  /** Channel health shared with the text relay: resting channels are skipped, attempts reported. */
  gate: ChannelGate;
  /** Largest image the gateway downloads from a provider's URL. */
  maxDownloadBytes?: number;
}

export interface ImageJob {
  key: KeyContext;
  endpoint: string;
  mode: 'generate' | 'edit';
  call: ImageCall;
  clientIp: string | null;
  origin?: string | null;
  /** Absolute base of the gateway's own links (`https://gw.example.com`). */
  publicBase: string;
}

export interface ImageResult {
  requestId: string;
  body: { created: number; data: Record<string, string>[]; usage?: Record<string, number> };
}

export interface WebuiJob {
  key: KeyContext;
  endpoint: '/sdapi/v1/txt2img' | '/sdapi/v1/img2img';
  body: WebuiGenerationBody;
  clientIp: string | null;
  origin?: string | null;
}

export interface WebuiResult {
  requestId: string;
  status: number;
  /** The WebUI's answer, as it sent it. */
  body: Buffer;
}

/** An attempt's failure and whether another channel may be tried. */
class AttemptFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

interface Candidate {
  route: Route;
  backend: ImageBackend;
}

/**
 * One image request, OpenAI-shaped, through any provider: route → validate for the provider →
 * safety → admit (reserve) → upstream call(s) with failover → images as base64 or signed gateway
 * links → settle (charged per image produced; nothing on failure) and the request-log row.
 */
export class ImagePipeline {
  constructor(private readonly deps: ImagePipelineDeps) {}

  async run(job: ImageJob): Promise<ImageResult> {
    const { call } = job;
    const req = relayRequest(job.key, job.endpoint, call.model, job.clientIp, job.origin);
    const promptEstimate = countTokens(call.prompt);
    const out = await this.metered(
      req,
      promptEstimate,
      async () => {
        await this.deps.checkPrompt(call.prompt, { key: job.key, model: call.model, endpoint: job.endpoint });
        const candidates = usableRoutes(await this.deps.router.routes(call.model, job.key.group, 'image'), call, job.mode);
        // Priced as the first channel would run it: the size it makes and, for diffusion, its steps.
        return { candidates, pricing: pricingBody(call, candidates[0].backend) };
      },
      async (c) => {
        const reply = await this.attempt(c, job);
        const data = await this.render(reply, job);
        const usage: Usage = { promptTokens: reply.tokens?.input ?? promptEstimate, completionTokens: 0, cachedTokens: 0, images: data.length, estimated: !reply.tokens };
        const body: ImageResult['body'] = { created: Math.floor(Date.now() / 1000), data };
        if (reply.tokens) body.usage = { input_tokens: reply.tokens.input, output_tokens: reply.tokens.output, total_tokens: reply.tokens.input + reply.tokens.output };
        return { value: body, usage };
      },
    );
    return { requestId: out.requestId, body: out.value };
  }

  /**
   * A1111's own API through the gateway: the body goes to a `sd-webui` channel as the client sent
   * it (only the checkpoint name is mapped, as the text relay maps model names), and the WebUI's
   * answer comes back byte for byte. Metered per image like every other image call.
   */
  async runWebui(job: WebuiJob): Promise<WebuiResult> {
    const req = relayRequest(job.key, job.endpoint, '', job.clientIp, job.origin);
    const b = job.body;
    const prompt = typeof b.prompt === 'string' ? b.prompt : '';
    const out = await this.metered(
      req,
      countTokens(prompt),
      async () => {
        const asked = b.override_settings?.sd_model_checkpoint;
        const model = asked || (await this.defaultWebuiModel(job.key.group));
        req.model = model;
        if (prompt) await this.deps.checkPrompt(prompt, { key: job.key, model, endpoint: job.endpoint });
        const routes = (await this.deps.router.routes(model, job.key.group, 'image')).filter((r) => r.channel.provider === 'sd-webui');
        if (routes.length === 0)
          throw new GatewayError('invalid_request', `The model \`${model}\` is not served by a Stable Diffusion WebUI channel, so /sdapi/v1/* cannot reach it; use /v1/images/generations.`, { param: 'model', code: 'unsupported_operation' });
        const n = (b.batch_size ?? 1) * (b.n_iter ?? 1);
        const pricing: Record<string, unknown> = { model, prompt, n, size: `${b.width ?? 512}x${b.height ?? 512}`, steps: b.steps ?? 50 };
        return { candidates: routes.map((route) => ({ route })), pricing };
      },
      async (c) => {
        const body: Record<string, unknown> = { ...b };
        if (b.override_settings?.sd_model_checkpoint && c.route.upstreamModel !== b.override_settings.sd_model_checkpoint)
          body.override_settings = { ...b.override_settings, sd_model_checkpoint: c.route.upstreamModel };
        const request = webuiRequest(c.route.channel, job.endpoint.endsWith('img2img') ? 'img2img' : 'txt2img', body);
        const res = await this.send(request);
        const bytes = await readAll(res);
        if (res.status >= 400) {
          const failure = classifyWebuiError(res.status, bytes.toString('utf8'));
          // The caller's own mistakes come back in the WebUI's exact words and status.
          if (failure.error.kind === 'invalid_request' && !failure.retryable) return { value: { status: res.status, body: bytes }, usage: ZERO_USAGE, failed: { status: res.status, error: failure.error } };
          throw new AttemptFailure(failure.error, failure.retryable);
        }
        let produced: number;
        try {
          const json = JSON.parse(bytes.toString('utf8')) as { images?: unknown[] };
          if (!Array.isArray(json.images)) throw new Error('no images');
          produced = Math.min(json.images.length, (b.batch_size ?? 1) * (b.n_iter ?? 1));
        } catch {
          throw new AttemptFailure(new GatewayError('upstream', 'The WebUI sent a response the gateway cannot read.', { code: 'bad_upstream_response' }), true);
        }
        const usage: Usage = { promptTokens: countTokens(prompt), completionTokens: 0, cachedTokens: 0, images: produced, estimated: true };
        return { value: { status: 200, body: bytes }, usage };
      },
      'sd-webui',
    );
    return { ...out.value, requestId: out.requestId };
  }

  /** The first model of the highest-priority WebUI channel the caller's group may use. */
  private async defaultWebuiModel(group: string): Promise<string> {
    const channels = (await this.deps.channels.active())
      .filter((c) => c.provider === 'sd-webui' && (c.groups.length === 0 || c.groups.includes(group)) && c.models.length > 0)
      .sort((a, b) => b.priority - a.priority);
    if (channels.length === 0) throw new GatewayError('not_found', 'No Stable Diffusion WebUI channel is available to you.', { code: 'model_not_found' });
    return channels[0].models[0];
  }

  /** Models of the WebUI channels a group may use, for `GET /sdapi/v1/sd-models`. */
  async webuiModels(group: string): Promise<{ name: string; channel: Channel }[]> {
    const seen = new Map<string, Channel>();
    const channels = (await this.deps.channels.active()).filter((c) => c.provider === 'sd-webui' && (c.groups.length === 0 || c.groups.includes(group)));
    for (const c of channels.sort((a, b) => b.priority - a.priority)) for (const m of [...c.models, ...Object.keys(c.modelMap)]) if (!seen.has(m)) seen.set(m, c);
    return [...seen].map(([name, channel]) => ({ name, channel }));
  }

  /**
   * The frame every image call runs in, as the text relay does it: prepare (route, validate,
   * safety) → admit → attempts with failover → settle and log. A refusal before admission is logged
   * and thrown; a failure after it settles as failed, so nothing is charged and the hold is released.
   */
  private async metered<C extends { route: Route }, T>(
    req: RelayRequest,
    promptEstimate: number,
    prepare: () => Promise<{ candidates: C[]; pricing: Record<string, unknown> }>,
    attempt: (c: C) => Promise<{ value: T; usage: Usage; failed?: { status: number; error: GatewayError } }>,
    logDialect: string = req.dialect,
  ): Promise<{ value: T; requestId: string }> {
    const started = performance.now();
    const log = Relay.baseLog(req);
    log.dialect = logDialect;
    let candidates: C[];
    let admitted: Admitted | null = null;
    let admission: Admission;
    try {
      const prepared = await prepare();
      candidates = prepared.candidates;
      req.body = prepared.pricing;
      log.model_requested = req.model;
      admission = await this.deps.policy.admit({ ...req, promptEstimate });
    } catch (err) {
      const e = asGatewayError(err);
      log.model_requested = req.model || null;
      this.deps.logWriter.push(finish(log, started, e.status, e));
      throw e;
    }
    // After admission, so a refused call never takes a resting channel's single probe.
    try {
      ({ items: candidates, admitted } = await this.deps.gate.admit(candidates, (c) => c.route.channel.id, req.model));
    } catch (err) {
      const e = asGatewayError(err);
      admission.settle({ usage: ZERO_USAGE, failed: true, log: finish(log, started, e.status, e) });
      throw e;
    }
    let lastError: GatewayError | null = null;
    for (const [i, c] of candidates.slice(0, Math.max(1, this.deps.maxAttempts)).entries()) {
      log.channel_id = c.route.channel.id;
      log.model_sent = c.route.upstreamModel;
      log.attempts = i + 1;
      try {
        const out = await attempt(c);
        this.deps.gate.succeeded(c.route.channel.id, admitted);
        applyUsage(log, out.usage);
        const failed = out.failed;
        admission.settle({ usage: out.usage, failed: failed !== undefined, log: finish(log, started, failed ? failed.status : 200, failed?.error) });
        return { value: out.value, requestId: log.id };
      } catch (err) {
        const f = err instanceof AttemptFailure ? err : new AttemptFailure(asGatewayError(err), false);
        lastError = f.error;
        if (f.retryable) this.deps.gate.failed(c.route.channel.id, admitted, f.error.message);
        else this.deps.gate.succeeded(c.route.channel.id, admitted); // the provider answered: the request was the problem
        if (!f.retryable) break;
      }
    }
    const error = lastError ?? new GatewayError('upstream', 'No channel could serve the request.', { code: 'no_channel' });
    admission.settle({ usage: ZERO_USAGE, failed: true, log: finish(log, started, error.status, error) });
    throw error;
  }

  private async send(request: ImageUpstreamCall['request'], signal?: AbortSignal) {
    try {
      return await this.deps.upstream.send(request, signal ?? new AbortController().signal);
    } catch (err) {
      throw new AttemptFailure(upstreamTransportError(err), true);
    }
  }

  /** Runs the provider calls of one channel together; the first failure cancels the rest. */
  private async attempt(c: Candidate, job: ImageJob): Promise<ImageReply> {
    const calls = job.mode === 'edit' ? c.backend.edit!(job.call, c.route.upstreamModel, c.route.channel) : c.backend.generate(job.call, c.route.upstreamModel, c.route.channel);
    const ac = new AbortController();
    try {
      const replies = await Promise.all(calls.map((uc) => this.one(uc, c.backend, ac.signal)));
      const images = replies.flatMap((r) => r.images);
      const withTokens = replies.filter((r) => r.tokens);
      const tokens = withTokens.length
        ? withTokens.reduce((t, r) => ({ input: t.input + r.tokens!.input, output: t.output + r.tokens!.output }), { input: 0, output: 0 })
        : undefined;
      return { images, tokens };
    } finally {
      ac.abort();
    }
  }

  private async one(uc: ImageUpstreamCall, backend: ImageBackend, signal: AbortSignal): Promise<ImageReply> {
    const res = await this.send(uc.request, signal);
    if (res.status >= 400) {
      const text = await res.body.text().catch(() => '');
      const failure = backend.classifyError(res.status, text, res.headers);
      throw new AttemptFailure(failure.error, failure.retryable);
    }
    let buf: Buffer;
    try {
      buf = await res.body.bytes();
    } catch (err) {
      throw new AttemptFailure(upstreamTransportError(err), true);
    }
    try {
      return uc.parse(buf, res.headers);
    } catch (err) {
      const e = asGatewayError(err);
      // An unreadable answer may be this channel's trouble; a content-policy refusal is not.
      throw new AttemptFailure(e, e.kind === 'upstream');
    }
  }

  /** OpenAI's `data` items: base64 as produced, or a signed gateway link to the stored bytes. */
  private async render(reply: ImageReply, job: ImageJob): Promise<Record<string, string>[]> {
    return Promise.all(
      reply.images.map(async (img) => {
        const bytes = 'b64' in img ? Buffer.from(img.b64, 'base64') : await this.download(img.url);
        const item: Record<string, string> =
          job.call.responseFormat === 'url' ? { url: job.publicBase + (await this.deps.links.save(bytes)) } : { b64_json: 'b64' in img ? img.b64 : bytes.toString('base64') };
        if (img.revisedPrompt) item.revised_prompt = img.revisedPrompt;
        return item;
      }),
    );
  }

  /** Providers that answer with their own short-lived URLs (CogView): the gateway fetches the bytes. */
  private async download(url: string): Promise<Buffer> {
    const limit = this.deps.maxDownloadBytes ?? 50 * 1024 * 1024;
    let res;
    try {
      res = await this.deps.upstream.send({ method: 'GET', url, headers: {} }, AbortSignal.timeout(120_000));
    } catch (err) {
      throw new AttemptFailure(upstreamTransportError(err), true);
    }
    if (res.status !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new AttemptFailure(new GatewayError('upstream', `The provider's image link answered HTTP ${res.status}.`, { code: 'image_download_failed' }), true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        throw new AttemptFailure(new GatewayError('upstream', 'The provider sent an image larger than the gateway accepts.', { code: 'image_too_large' }), false);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }
}

/**
 * The routes whose provider can make this image, each checked against its provider's rules. When
 * none passes, the first route's complaint is the answer (it says the provider's limit).
 */
function usableRoutes(routes: Route[], call: ImageCall, mode: ImageJob['mode']): Candidate[] {
  const out: Candidate[] = [];
  let first: unknown = null;
  for (const route of routes) {
    const backend = imageBackendFor(route.channel.provider);
    try {
      if (!backend) throw new GatewayError('invalid_request', `The model \`${call.model}\` does not make images on this gateway.`, { param: 'model', code: 'unsupported_operation' });
      if (mode === 'edit' && !backend.edit)
        throw new GatewayError('invalid_request', `The model \`${call.model}\` cannot edit images (its provider, ${route.adapter.label}, has no image-to-image). Use /v1/images/generations, or a Stable Diffusion WebUI or OpenAI model.`, {
          param: 'model',
          code: 'unsupported_operation',
        });
      backend.validate(call, route.upstreamModel, route.channel);
      out.push({ route, backend });
    } catch (err) {
      first ??= err;
    }
  }
  if (out.length === 0) throw first;
  return out;
}

/** What billing prices an image call by: model, count, size, quality and sampling steps. */
function pricingBody(call: ImageCall, backend: ImageBackend): Record<string, unknown> {
  const body: Record<string, unknown> = { model: call.model, prompt: call.prompt, n: call.n };
  if (call.size) body.size = sizeText(call.size);
  if (call.quality) body.quality = call.quality;
  const steps = backend.steps?.(call);
  if (steps !== undefined) body.steps = steps;
  return body;
}


function relayRequest(key: KeyContext, endpoint: string, model: string, clientIp: string | null, origin?: string | null): RelayRequest {
  return { key, dialect: 'openai', operation: 'image', endpoint, model, stream: false, body: {}, clientIp, origin: origin ?? null, clientWantsUsage: false };
}

async function readAll(res: { body: AsyncIterable<unknown> & { destroy(): unknown } }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of res.body) chunks.push(c as Buffer);
  } catch (err) {
    throw new AttemptFailure(upstreamTransportError(err), true);
  }
  return Buffer.concat(chunks);
}
