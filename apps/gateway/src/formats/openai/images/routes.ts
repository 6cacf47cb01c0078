import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError, invalidRequest } from '../../../core/errors.js';
import { lazyValidators } from '../../validation.js';
import { imageType } from '../../../media/image-bytes.js';
import { filesOf, IMAGE_EDIT_LIMITS, readMultipart } from '../../../media/multipart.js';
import { ImageEditFields, ImageGenerationRequest, ImagesResponse } from './schemas.js';
import { parseSize } from './sizes.js';
import type { ImageCall } from '../../canonical/images.js';
import type { FormatHost } from '../../host.js';

/**
 * OpenAI's image endpoints, `/v1/images/generations` and `/v1/images/edits` (multipart), on any
 * image provider. Multipart bodies arrive as bytes (the server's parser) and are read here.
 */
export function registerImageRoutes(app: FastifyInstance, host: FormatHost): void {
  const openai = { dialect: 'openai' as const };
  const tags = ['Images'];
  app.post(
    '/v1/images/generations',
    { config: openai, schema: { tags, summary: 'Create images (OpenAI-compatible) on any image provider', body: ImageGenerationRequest, response: { 200: ImagesResponse }, security: [{ bearer: [] }] } },
    async (request, reply) => host.run(request, reply, { kind: 'image', endpoint: '/v1/images/generations', mode: 'generate', call: imageCall(request.body as ImageGenerationRequest) }, 'openai'),
  );
  app.post(
    '/v1/images/edits',
    { config: openai, schema: { tags, summary: 'Edit an image (multipart upload): img2img on Stable Diffusion WebUI, OpenAI edits on OpenAI', consumes: ['multipart/form-data'], response: { 200: ImagesResponse }, security: [{ bearer: [] }] } },
    async (request, reply) => host.run(request, reply, { kind: 'image', endpoint: '/v1/images/edits', mode: 'edit', call: await editCall(request) }, 'openai'),
  );
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

// The form's text fields, checked strictly as a JSON body is; compiled on first use (formats/validation.ts).
const checkEditFields = lazyValidators(false)(ImageEditFields);

/** `/v1/images/edits`: a multipart form with `image` (or `image[]`), optional `mask`, and OpenAI's text fields. */
async function editCall(request: FastifyRequest): Promise<ImageCall> {
  if (!Buffer.isBuffer(request.body)) throw invalidRequest('Send /v1/images/edits as multipart/form-data with the image as a file part.', undefined, 'invalid_content_type');
  const form = await readMultipart(request.body, request.headers['content-type'], IMAGE_EDIT_LIMITS);
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
  const checked = checkEditFields(fields);
  if (checked.error) throw checked.error;
  const image = filesOf(form, 'image')[0];
  if (!image) throw new GatewayError('invalid_request', "Missing required parameter: 'image' (a file part).", { param: 'image', code: 'missing_required_parameter' });
  for (const [name, file] of [['image', image], ['mask', filesOf(form, 'mask')[0]]] as const) {
    if (file && !imageType(file.data)) throw invalidRequest(`The ${name} must be a PNG, JPEG or WebP image.`, name, 'invalid_image_format');
  }
  const call = imageCall(fields as ImageEditFields);
  return { ...call, image, mask: filesOf(form, 'mask')[0] };
}
