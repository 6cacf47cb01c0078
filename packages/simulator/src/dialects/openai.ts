// OpenAI (§1): chat completions, legacy completions, embeddings, models.
import type { IncomingMessage } from 'node:http';
import { stripDirective } from '../controls.js';
import { embedVector, vectorArray, vectorBase64 } from '../embed.js';
import { emptyConversation, generate } from '../generate.js';
import { header } from '../http.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import { dataEvent, DONE } from '../sse.js';
import { splitEven } from '../tokens.js';
import { chatCompletion, chatDirectiveText, OPENAI_FLAVOR, toStopList } from './openai-chat.js';

export const DEFAULT_MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-3.5-turbo-instruct',
  'text-embedding-3-small',
  'text-embedding-3-large',
  'dall-e-3',
  'gpt-image-1',
  'claude-sonnet-4-5',
  'gemini-2.5-flash',
  'glm-4-plus',
];

function openaiErrorType(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 403) return { type: 'permission_denied', code: null };
  if (status === 404) return { type: 'invalid_request_error', code: null };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

export function openaiError(status: number, message: string, code?: string, param: string | null = null): Outcome {
  const t = openaiErrorType(status);
  return { kind: 'json', status, body: { error: { message, type: t.type, param, code: code ?? t.code } } };
}

export function bearer(req: IncomingMessage): string | undefined {
  const v = header(req, 'authorization');
  if (!v) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(v);
  return m ? m[1].trim() : undefined;
}

export const openaiDialect: Dialect = {
  name: 'openai',
  authorize(ctx, apiKey) {
    const key = bearer(ctx.req);
    if (key === apiKey) return null;
    const msg = key
      ? `Incorrect API key provided: ${key.length > 8 ? `${key.slice(0, 3)}...${key.slice(-4)}` : '***'}. You can find your API key at https://platform.openai.com/account/api-keys.`
      : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
    return openaiError(401, msg, 'invalid_api_key');
  },
  error: (status, message, code) => openaiError(status, message, code),
  modelNotFound: (model) => openaiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, 'model_not_found', 'model'),
};

const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);

/** Validation shared by the OpenAI-shaped chat endpoints; null when the body is usable. */
export function validateChat(ctx: Ctx, err: (status: number, message: string, code?: string) => Outcome, needModel = true): Outcome | null {
  const b = ctx.body;
  if (!b || typeof b !== 'object') return err(400, 'Request body must be a JSON object.');
  if (needModel && typeof b.model !== 'string') return err(400, 'you must provide a model parameter', 'missing_required_parameter');
  if (!Array.isArray(b.messages) || b.messages.length === 0) return err(400, "'messages' must be a non-empty array.", 'invalid_value');
  return null;
}

/** Prompts of /v1/completions as a list: strings (directive stripped) or token arrays. */
export function promptList(prompt: unknown): Array<string | number[]> {
  if (typeof prompt === 'string') return [stripDirective(prompt)];
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) return [''];
    if (prompt.every((p) => typeof p === 'number')) return [prompt as number[]];
    return prompt.map((p) => (typeof p === 'string' ? stripDirective(p) : Array.isArray(p) ? (p as number[]) : String(p)));
  }
  return [''];
}

function lastString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) if (typeof v[i] === 'string') return v[i] as string;
  return '';
}

function completions(ctx: Ctx, modelOverride?: string): Outcome {
  const b = ctx.body;
  if (!b || typeof b !== 'object' || b.prompt === undefined) return openaiError(400, "'prompt' is a required property", 'missing_required_parameter', 'prompt');
  const { sim, controls } = ctx;
  const prompts = promptList(b.prompt);
  const n = Math.min(Math.max(1, Number(b.n) || 1), 16);
  const maxTokens = typeof b.max_tokens === 'number' ? b.max_tokens : 16;
  const stop = toStopList(b.stop);
  const id = sim.newId('cmpl-');
  const created = Math.floor(Date.now() / 1000);
  const model = modelOverride ?? (typeof b.model === 'string' ? b.model : 'gpt-3.5-turbo-instruct');
  let promptTokens = 0;
  let completionTokens = 0;
  const texts: Array<{ text: string; finish: string }> = [];
  for (const p of prompts) {
    const text = typeof p === 'string' ? p : '';
    promptTokens += typeof p === 'string' ? sim.tokens.count(p) : p.length;
    const conv = { ...emptyConversation(), lastUserText: text, maxTokens, stop };
    const gen = generate(conv, controls, sim.tokens, () => '');
    for (let i = 0; i < n; i++) {
      texts.push({ text: (b.echo === true ? text : '') + gen.text, finish: gen.finish === 'length' ? 'length' : 'stop' });
      completionTokens += gen.outputTokens;
    }
  }
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (!b.stream) {
    const out: Record<string, unknown> = {
      id,
      object: 'text_completion',
      created,
      model,
      choices: texts.map((t, index) => ({ index, text: t.text, finish_reason: t.finish, logprobs: null })),
    };
    if (!controls.noUsage) out.usage = usage;
    return { kind: 'json', body: out };
  }
  const includeUsage = b.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], u?: unknown) => dataEvent({ id, object: 'text_completion', created, model, choices, ...(includeUsage ? { usage: u ?? null } : {}) });
  const events: string[] = [];
  const split = texts.map((t) => splitEven(t.text, controls.chunks));
  const rounds = Math.max(...split.map((s) => s.length));
  for (let r = 0; r < rounds; r++) {
    split.forEach((parts, index) => {
      if (parts[r]) events.push(chunk([{ index, text: parts[r], finish_reason: null, logprobs: null }]));
    });
  }
  // Every event so far is a piece of text (for the cut and stall faults).
  const content = events.map((_, i) => i);
  texts.forEach((t, index) => events.push(chunk([{ index, text: '', finish_reason: t.finish, logprobs: null }])));
  if (includeUsage && !controls.noUsage) events.push(chunk([], usage));
  events.push(DONE);
  return { kind: 'sse', events, content };
}

/** Default dimensions per embedding model family. */
export function defaultDims(model: string): number {
  if (model.includes('large')) return 3072;
  return 1536;
}

export function embeddings(ctx: Ctx, opts: { model?: string; dims?: (model: string) => number; err?: typeof openaiError } = {}): Outcome {
  const err = opts.err ?? openaiError;
  const b = ctx.body;
  if (!b || typeof b !== 'object' || b.input === undefined) return err(400, "'input' is a required property", 'missing_required_parameter');
  const model = opts.model ?? (typeof b.model === 'string' ? b.model : 'text-embedding-3-small');
  let inputs: Array<string | number[]>;
  if (typeof b.input === 'string') inputs = [stripDirective(b.input)];
  else if (Array.isArray(b.input) && b.input.length > 0 && b.input.every((x: unknown) => typeof x === 'number')) inputs = [b.input as number[]];
  else if (Array.isArray(b.input)) inputs = b.input.map((x: unknown) => (typeof x === 'string' ? stripDirective(x) : Array.isArray(x) ? (x as number[]) : String(x)));
  else return err(400, "Invalid type for 'input'.", 'invalid_type');
  if (inputs.length === 0 || inputs.some((x) => (typeof x === 'string' ? x.length === 0 : x.length === 0))) {
    return err(400, "'input' cannot be an empty string or array.", 'invalid_value');
  }
  const dims = typeof b.dimensions === 'number' && b.dimensions >= 1 ? Math.floor(b.dimensions) : (opts.dims ?? defaultDims)(model);
  const base64 = b.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((x, index) => {
    tokens += typeof x === 'string' ? ctx.sim.tokens.count(x) : x.length;
    const v = embedVector(x, dims);
    return { object: 'embedding', index, embedding: base64 ? vectorBase64(v) : vectorArray(v) };
  });
  const out: Record<string, unknown> = { object: 'list', data, model };
  if (!ctx.controls.noUsage) out.usage = { prompt_tokens: tokens, total_tokens: tokens };
  return { kind: 'json', body: out };
}

export function modelCard(id: string): Record<string, unknown> {
  return { id, object: 'model', created: 1715367049, owned_by: 'system' };
}

export function listModels(ctx: Ctx): string[] {
  return ctx.sim.options.models ?? DEFAULT_MODELS;
}

/** Anthropic clients also call GET /v1/models; they identify themselves with these headers. */
export const isAnthropicRequest = (req: IncomingMessage): boolean => req.headers['anthropic-version'] !== undefined || req.headers['x-api-key'] !== undefined;

export const openaiRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/chat\/completions\/?$/,
    dialect: openaiDialect,
    directiveText: chatDirectiveText,
    model: bodyModel,
    handle: (ctx) => validateChat(ctx, openaiError) ?? chatCompletion(ctx, OPENAI_FLAVOR),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/completions\/?$/,
    dialect: openaiDialect,
    directiveText: (b) => lastString(b.prompt),
    model: bodyModel,
    handle: (ctx) => completions(ctx),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/embeddings\/?$/,
    dialect: openaiDialect,
    directiveText: (b) => lastString(b.input),
    model: bodyModel,
    handle: (ctx) => embeddings(ctx),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/models\/?$/,
    dialect: openaiDialect,
    when: (req) => !isAnthropicRequest(req),
    handle: (ctx) => ({ kind: 'json', body: { object: 'list', data: listModels(ctx).map(modelCard) } }),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/models\/(?<id>[^/]+)$/,
    dialect: openaiDialect,
    when: (req) => !isAnthropicRequest(req),
    handle: (ctx) => {
      const id = decodeURIComponent(ctx.params.id);
      if (ctx.sim.options.models && !ctx.sim.options.models.includes(id)) return openaiDialect.modelNotFound(id);
      return { kind: 'json', body: modelCard(id) };
    },
  },
];

export { completions };
