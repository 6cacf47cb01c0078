import type { UpstreamCall, UpstreamRequest } from '../types.js';
import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { encodeMultipart, type FormValue } from '../../media/multipart.js';
import { requireN, requireSizeIn, sizeText } from '../../formats/openai/images/sizes.js';
import type { ImageReply } from '../../formats/canonical/images.js';
import type { ImageBackend, ImageRequestOut } from '../types.js';

/** What OpenAI's image models accept (§1.6); keyed by family so dated names (`dall-e-3-2024...`) match too. */
interface ModelRules {
  family: string;
  sizes: readonly string[];
  auto: boolean;
  maxN: number;
  /** GPT image models always answer base64 and reject `response_format`. */
  alwaysB64: boolean;
  edits: boolean;
}

const RULES: ModelRules[] = [
  { family: 'dall-e-3', sizes: ['1024x1024', '1792x1024', '1024x1792'], auto: false, maxN: 1, alwaysB64: false, edits: false },
  { family: 'dall-e-2', sizes: ['256x256', '512x512', '1024x1024'], auto: false, maxN: 10, alwaysB64: false, edits: true },
  { family: 'gpt-image', sizes: ['1024x1024', '1536x1024', '1024x1536'], auto: true, maxN: 10, alwaysB64: true, edits: true },
  { family: 'chatgpt-image', sizes: ['1024x1024', '1536x1024', '1024x1536'], auto: true, maxN: 10, alwaysB64: true, edits: true },
];

/** The rules for a model known by either of its names (Azure deployments have names of their own). */
export function openaiImageRules(...names: string[]): ModelRules | undefined {
  for (const n of names) {
    const r = RULES.find((x) => n === x.family || n.startsWith(`${x.family}-`) || (x.family.endsWith('image') && n.startsWith(x.family)));
    if (r) return r;
  }
  return undefined;
}

/**
 * OpenAI-shaped image endpoints, shared by OpenAI itself, OpenAI-compatible servers and Azure
 * (whose adapters already know the URL and credentials of `/images/generations`). The gateway
 * always asks for base64: a `url` answer is then served from the gateway's own signed URL, not a
 * provider link that expires on the provider's schedule.
 */
/** How the owning provider builds its `/images/generations` request (URL, deployment, credentials) and reads failures. */
export interface OpenAIStyleEndpoint {
  build(call: UpstreamCall, channel: Channel): UpstreamRequest;
  classify: ImageBackend['classifyError'];
}

export function openaiStyleBackend(kind: string, endpoint: OpenAIStyleEndpoint): ImageBackend {
  const viaAdapter = (channel: Channel, upstreamModel: string, body: Record<string, unknown>): ImageRequestOut =>
    endpoint.build({ operation: 'image', model: upstreamModel, stream: false, body }, channel);
  return {
    kind,
    validate(call, upstreamModel) {
      const rules = openaiImageRules(upstreamModel, call.model);
      const who = `the model ${call.model}`;
      if (!rules) return requireN(call, 10, who); // an unknown server: only OpenAI's own ceiling
      requireN(call, rules.maxN, who);
      requireSizeIn(call, rules.sizes, who, rules.auto);
      if (call.quality && !qualityOk(rules, call.quality))
        throw invalidRequest(`The quality '${call.quality}' is not supported by ${who}.`, 'quality', 'invalid_value');
      if (call.image && !rules.edits) throw invalidRequest(`${who} cannot edit images; use dall-e-2 or a gpt-image model.`, 'model', 'unsupported_operation');
    },
    sizes: (upstreamModel, model) => openaiImageRules(upstreamModel, model)?.sizes ?? null,
    generate(call, upstreamModel, channel) {
      const rules = openaiImageRules(upstreamModel, call.model);
      const body: Record<string, unknown> = { model: upstreamModel, prompt: call.prompt, n: call.n };
      if (call.size) body.size = sizeText(call.size);
      if (call.quality) body.quality = call.quality;
      if (call.style) body.style = call.style;
      if (call.user) body.user = call.user;
      if (!rules?.alwaysB64) body.response_format = 'b64_json';
      const req = viaAdapter(channel, upstreamModel, body);
      return [{ request: req, parse: (buf) => parseOpenAIImages(buf) }];
    },
    edit(call, upstreamModel, channel) {
      const rules = openaiImageRules(upstreamModel, call.model);
      const entries: [string, FormValue][] = [
        ['model', upstreamModel],
        ['prompt', call.prompt],
        ['n', String(call.n)],
      ];
      if (call.size) entries.push(['size', sizeText(call.size)]);
      if (call.user) entries.push(['user', call.user]);
      if (!rules?.alwaysB64) entries.push(['response_format', 'b64_json']);
      entries.push(['image', call.image!]);
      if (call.mask) entries.push(['mask', call.mask]);
      const form = encodeMultipart(entries);
      const gen = viaAdapter(channel, upstreamModel, {});
      // The adapter knows where generations go (and Azure's deployment and api-version); edits live beside them.
      const url = gen.url.replace('/images/generations', '/images/edits');
      const headers = { ...withoutContentType(gen.headers), 'content-type': form.contentType };
      return [{ request: { method: 'POST', url, headers, body: form.body }, parse: (buf) => parseOpenAIImages(buf) }];
    },
    classifyError: endpoint.classify,
  };
}

function qualityOk(rules: ModelRules, q: string): boolean {
  if (rules.family === 'dall-e-3') return q === 'standard' || q === 'hd';
  if (rules.family === 'dall-e-2') return q === 'standard';
  return ['low', 'medium', 'high', 'auto', 'standard', 'hd'].includes(q);
}

function withoutContentType(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase() !== 'content-type'));
}

/** `{created, data:[{b64_json|url, revised_prompt?}], usage?}` (OpenAI, Azure, CogView). */
export function parseOpenAIImages(buf: Buffer): ImageReply {
  const body = parseJsonBody(buf) as { data?: { b64_json?: string; url?: string; revised_prompt?: string }[]; usage?: { input_tokens?: number; output_tokens?: number } };
  if (!Array.isArray(body?.data)) throw badResponse('it has no data array');
  const images = body.data.map((d) => {
    const revisedPrompt = typeof d?.revised_prompt === 'string' ? d.revised_prompt : undefined;
    if (typeof d?.b64_json === 'string') return { b64: d.b64_json, revisedPrompt };
    if (typeof d?.url === 'string') return { url: d.url, revisedPrompt };
    throw badResponse('an image has neither b64_json nor url');
  });
  const u = body.usage;
  return { images, tokens: u && typeof u.input_tokens === 'number' ? { input: u.input_tokens, output: u.output_tokens ?? 0 } : undefined };
}

export function parseJsonBody(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw badResponse('it is not valid JSON');
  }
}

export function badResponse(why: string): GatewayError {
  return new GatewayError('upstream', `The provider sent an image response the gateway cannot read: ${why}.`, { code: 'bad_upstream_response' });
}

