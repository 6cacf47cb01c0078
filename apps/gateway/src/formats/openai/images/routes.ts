import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../../config/config.js';
import { asGatewayError, GatewayError, invalidRequest } from '../../../core/errors.js';
import { loadMasterKey } from '../../../core/master-key.js';
import { requireKey } from '../../../http/auth.js';
import { toErrorResponse } from '../../../http/errors.js';
import { validationError } from '../../../http/validation.js';
import type { Services } from '../../../services.js';
import { imageType } from '../../../media/image-bytes.js';
import { boundaryOf, parseMultipart } from '../../../media/multipart.js';
import { allowAllPrompts, ImagePipeline, type PromptCheck } from '../../../relay/images-pipeline.js';
import { ImageEditFields, ImageGenerationRequest, ImagesResponse, WebuiGenerationBody } from './schemas.js';
import { parseSize } from './sizes.js';
import { FileImageStore, ImageLinks, S3ImageStore, STORED_NAME, type ImageStore } from '../../../media/storage.js';
import { UrlSigner } from '../../../media/signing.js';
import type { ImageCall } from '../../canonical/images.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A1111 pass-through route: its own key hook and A1111's error shape. */
    sdapi?: boolean;
  }
}

export interface ImageRouteOptions {
  /** Content-safety check of prompts; none exists yet, so the default admits every prompt. */
  checkPrompt?: PromptCheck;
}

/**
 * The image endpoints: OpenAI's `/v1/images/generations` and `/v1/images/edits`, A1111's
 * `/sdapi/v1/*` pass-through, and `/files/images/*`, the signed links `url` answers point to.
 * Registered in their own scope, so the multipart parser and the A1111 error shape stay theirs.
 */
export async function registerImageRoutes(app: FastifyInstance, services: Services, opts: ImageRouteOptions = {}): Promise<void> {
  const { config } = services;
  const links = new ImageLinks(openImageStore(config), new UrlSigner(loadMasterKey(config.secret, config.dataDir).key), config.imageUrlTtl);
  const pipeline = new ImagePipeline({
    router: services.router,
    channels: services.channels,
    upstream: services.upstream,
    policy: services.policy,
    logWriter: services.logWriter,
    links,
    checkPrompt: opts.checkPrompt ?? allowAllPrompts,
    maxAttempts: services.config.retryMaxAttempts,
    gate: services.health.gate,
  });
  app.addHook('onClose', async () => links.close());

  await app.register(async (scope) => {
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: config.bodyLimit }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err, req, reply) => {
      if (req.routeOptions.config?.sdapi) {
        const e = (err as { validation?: unknown[] }).validation ? validationError((err as { validation: never }).validation) : asGatewayError(err);
        if (e.kind === 'internal') services.log.error('internal error', (e.cause as Error) ?? err);
        return reply.code(e.status).headers(retryHeaders(e)).send(webuiErrorBody(e));
      }
      const r = toErrorResponse(err, 'openai', services.relay.codecs, services.log);
      return reply.code(r.status).headers(r.headers).send(r.body);
    });
    // A1111 clients send the gateway key as a bearer token, or as the password of HTTP Basic (the
    // only auth `--api-auth` clients know).
    scope.addHook('onRequest', async (request) => {
      if (!request.routeOptions.config?.sdapi) return;
      const auth = request.headers.authorization;
      if (typeof auth === 'string' && /^basic /i.test(auth)) {
        const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
        const password = decoded.slice(decoded.indexOf(':') + 1);
        if (password) request.headers.authorization = `Bearer ${password}`;
      }
      request.apiKey = await requireKey(services.keys, request, 'openai');
    });

    const openai = { dialect: 'openai' as const };
    const tags = ['Images'];
    scope.post(
      '/v1/images/generations',
      { config: openai, schema: { tags, summary: 'Create images (OpenAI-compatible) on any image provider', body: ImageGenerationRequest, response: { 200: ImagesResponse }, security: [{ bearer: [] }] } },
      async (request, reply) => {
        const b = request.body as ImageGenerationRequest;
        const call = imageCall(b);
        const out = await pipeline.run({ key: request.apiKey!, endpoint: '/v1/images/generations', mode: 'generate', call, clientIp: request.ip ?? null, origin: originOf(request), publicBase: publicBase(config, request) });
        return reply.header('x-request-id', out.requestId).send(out.body);
      },
    );

    scope.post(
      '/v1/images/edits',
      { config: openai, schema: { tags, summary: 'Edit an image (multipart upload): img2img on Stable Diffusion WebUI, OpenAI edits on OpenAI', consumes: ['multipart/form-data'], response: { 200: ImagesResponse }, security: [{ bearer: [] }] } },
      async (request, reply) => {
        const call = editCall(request);
        const out = await pipeline.run({ key: request.apiKey!, endpoint: '/v1/images/edits', mode: 'edit', call, clientIp: request.ip ?? null, origin: originOf(request), publicBase: publicBase(config, request) });
        return reply.header('x-request-id', out.requestId).send(out.body);
      },
    );

    const sdapi = { sdapi: true };
    for (const endpoint of ['/sdapi/v1/txt2img', '/sdapi/v1/img2img'] as const) {
      scope.post(endpoint, { config: sdapi, schema: { tags, summary: `A1111 WebUI ${endpoint.slice(10)} through the gateway (pass-through to a sd-webui channel)`, body: WebuiGenerationBody, security: [{ bearer: [] }] } }, async (request, reply) => {
        const out = await pipeline.runWebui({ key: request.apiKey!, endpoint, body: request.body as WebuiGenerationBody, clientIp: request.ip ?? null, origin: originOf(request) });
        return reply.code(out.status).header('content-type', 'application/json').header('x-request-id', out.requestId).send(out.body);
      });
    }

    scope.get('/sdapi/v1/sd-models', { config: sdapi, schema: { tags, summary: 'Checkpoints this key may use, in A1111 shape', security: [{ bearer: [] }] } }, async (request) => {
      const allowed = request.apiKey!.limits?.models;
      const models = (await pipeline.webuiModels(request.apiKey!.group)).filter((m) => !allowed || allowed.includes(m.name));
      // `title` is what a client sends back as override_settings.sd_model_checkpoint, so it is the gateway's model name.
      return models.map(({ name }) => ({ title: name, model_name: name.replace(/\.(safetensors|ckpt)\b.*$/, ''), hash: null, sha256: null, filename: name, config: null }));
    });

    scope.get('/files/images/:name', { schema: { hide: true } }, async (request, reply) => {
      const { name } = request.params as { name: string };
      const q = request.query as Record<string, unknown>;
      const verdict = STORED_NAME.test(name) ? links.check(name, q.exp, q.sig) : 'bad_signature';
      if (verdict !== 'ok')
        throw new GatewayError('permission', verdict === 'expired' ? 'This image link has expired.' : 'This image link is not valid.', { code: verdict === 'expired' ? 'link_expired' : 'invalid_signature' });
      const image = await links.get(name);
      if (!image) throw new GatewayError('not_found', 'This image is no longer stored.', { code: 'image_not_found' });
      const exp = Number(q.exp);
      return reply
        .header('content-type', image.contentType)
        .header('cache-control', `private, max-age=${Math.max(0, exp - Math.floor(Date.now() / 1000))}`)
        .header('x-content-type-options', 'nosniff')
        .send(image.data);
    });
  });
}

/** File folder by default; an S3-compatible bucket when an endpoint is configured (then all of it is required). */
function openImageStore(config: Config): ImageStore {
  if (!config.s3Endpoint) return new FileImageStore(join(config.dataDir, 'images'), config.imageUrlTtl * 1000);
  const missing = (['s3Bucket', 's3AccessKeyId', 's3SecretAccessKey'] as const).filter((k) => !config[k]);
  if (missing.length) throw new Error(`APIGPT_S3_ENDPOINT is set, so these settings are needed too: ${missing.join(', ')}`);
  return new S3ImageStore({ endpoint: config.s3Endpoint, bucket: config.s3Bucket!, region: config.s3Region, accessKeyId: config.s3AccessKeyId!, secretAccessKey: config.s3SecretAccessKey! });
}

/** OpenAI's request in canonical form, with OpenAI's defaults: dall-e-2, one image, `url` (base64 for GPT image models, which only make that). */
function imageCall(b: ImageGenerationRequest): ImageCall {
  const model = b.model ?? 'dall-e-2';
  return {
    model,
    prompt: b.prompt,
    n: b.n ?? 1,
    size: parseSize(b.size),
    quality: b.quality ?? undefined,
    style: b.style ?? undefined,
    responseFormat: b.response_format ?? (/^(chatgpt-|gpt-)image/.test(model) ? 'b64_json' : 'url'),
    user: b.user,
    extra: b.extra ?? {},
  };
}

const checkEditFields = new Ajv({ coerceTypes: false, strict: false, allErrors: false }).compile(ImageEditFields);

/** `/v1/images/edits`: a multipart form with `image` (or `image[]`), optional `mask`, and OpenAI's text fields. */
function editCall(request: FastifyRequest): ImageCall {
  const boundary = boundaryOf(request.headers['content-type']);
  if (!boundary || !Buffer.isBuffer(request.body)) throw invalidRequest('Send /v1/images/edits as multipart/form-data with the image as a file part.', undefined, 'invalid_content_type');
  const form = parseMultipart(request.body, boundary);
  const fields: Record<string, unknown> = { ...form.fields };
  // Form fields are text: numbers and the `extra` object are read back into their types.
  if (typeof fields.n === 'string' && /^\d{1,3}$/.test(fields.n)) fields.n = Number(fields.n);
  if (typeof fields.extra === 'string') {
    try {
      fields.extra = JSON.parse(fields.extra);
    } catch {
      throw invalidRequest("The 'extra' field must be a JSON object.", 'extra');
    }
  }
  if (!checkEditFields(fields)) throw validationError(checkEditFields.errors ?? []);
  const image = (form.files.image ?? form.files['image[]'])?.[0];
  if (!image) throw new GatewayError('invalid_request', "Missing required parameter: 'image' (a file part).", { param: 'image', code: 'missing_required_parameter' });
  for (const [name, file] of [['image', image], ['mask', form.files.mask?.[0]]] as const) {
    if (file && !imageType(file.data)) throw invalidRequest(`The ${name} must be a PNG, JPEG or WebP image.`, name, 'invalid_image_format');
  }
  const call = imageCall(fields as ImageEditFields);
  return { ...call, image, mask: form.files.mask?.[0] };
}

function webuiErrorBody(e: GatewayError): Record<string, string> {
  return { error: e.code ?? e.kind, detail: e.message, body: '', errors: '' };
}

function retryHeaders(e: GatewayError): Record<string, string> {
  const h: Record<string, string> = { ...(e.headers ?? {}) };
  if (e.retryAfter !== undefined) h['retry-after'] = String(Math.ceil(e.retryAfter));
  return h;
}

/** Links are absolute: the configured public URL, else the address the caller reached us at. */
function publicBase(config: Config, request: FastifyRequest): string {
  return (config.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
}

function originOf(request: FastifyRequest): string | null {
  const o = request.headers.origin;
  return typeof o === 'string' ? o : null;
}

