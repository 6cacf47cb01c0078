import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { firstAffinity, mayHoldCachedPrompt, prefixAffinity, sessionHeader } from '../affinity.js';
import { arr, obj, str } from '../canonical/util.js';
import type { FormatHost, ListedModel } from '../host.js';
import type { Operation } from '../../core/calls.js';
import { Type } from '@sinclair/typebox';
import { AnthropicModelList, ChatCompletionRequest, CompletionRequest, EmbeddingRequest, ModelList, OpenAIErrorBody } from './schemas.js';

const ENDPOINTS: { path: string; operation: Operation; schema: object; summary: string }[] = [
  { path: '/v1/chat/completions', operation: 'chat', schema: ChatCompletionRequest, summary: 'Chat completion (OpenAI-compatible), plain or streamed' },
  { path: '/v1/completions', operation: 'completion', schema: CompletionRequest, summary: 'Text completion (legacy OpenAI), plain or streamed' },
  { path: '/v1/embeddings', operation: 'embedding', schema: EmbeddingRequest, summary: 'Embeddings, float or base64' },
];

const errorResponses = { 400: OpenAIErrorBody, 401: OpenAIErrorBody, 403: OpenAIErrorBody, 404: OpenAIErrorBody, 429: OpenAIErrorBody, 502: OpenAIErrorBody };

/** The OpenAI dialect's routes. Errors thrown here are rendered by the server in OpenAI's shape. */
export function registerOpenAIRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: 'openai' as const };
  for (const ep of ENDPOINTS) {
    app.post(ep.path, { config, schema: { tags: ['OpenAI dialect'], summary: ep.summary, body: ep.schema, security: [{ bearer: [] }] } }, async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      const stream = body.stream === true;
      if (body.stream_options && !stream)
        throw new GatewayError('invalid_request', "The 'stream_options' parameter is only allowed when 'stream' is enabled.", { param: 'stream_options', code: 'invalid_value' });
      if (stream && ep.operation === 'embedding') throw new GatewayError('invalid_request', 'Embeddings cannot be streamed.', { param: 'stream' });
      return host.run(request, reply, {
        kind: 'text',
        dialect: 'openai',
        model: String(body.model),
        operation: ep.operation,
        endpoint: ep.path,
        body,
        stream,
        clientWantsUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
        affinity: ep.operation === 'chat' ? () => chatSession(request, body) : undefined,
        releasesBody: true,
      }, 'openai');
    });
  }

  app.get('/v1/models', { config, schema: { tags: ['OpenAI dialect'], summary: 'Models this key may use', response: { 200: Type.Union([ModelList, AnthropicModelList]), ...errorResponses }, security: [{ bearer: [] }] } }, async (request) => {
    const key = request.apiKey!;
    const models = await host.models(key.group);
    // Anthropic's SDK lists models at the same path; its `anthropic-version` header tells it apart.
    if (request.headers['anthropic-version']) return anthropicModelList(models.map((m) => m.id));
    return { object: 'list', data: models.map(openaiModel) };
  });

  app.get('/v1/models/:model', { config, schema: { tags: ['OpenAI dialect'], summary: 'One model', security: [{ bearer: [] }] } }, async (request) => {
    const key = request.apiKey!;
    const id = (request.params as { model: string }).model;
    const m = (await host.models(key.group)).find((x) => x.id === id);
    if (!m) throw new GatewayError('not_found', `The model \`${id}\` does not exist or you do not have access to it.`, { param: 'model', code: 'model_not_found' });
    if (request.headers['anthropic-version']) return anthropicModel(m.id);
    return openaiModel(m);
  });
}

/** A stable `created` for listed models: the gateway does not know when a provider made them. */
const MODEL_EPOCH = 1_700_000_000;

/** OpenAI's model object, plus what the model does and costs this key's account (`capability`, `pricing`). */
function openaiModel(m: ListedModel) {
  return { id: m.id, object: 'model', created: MODEL_EPOCH, owned_by: m.ownedBy, capability: m.capability, pricing: m.price };
}

/** Anthropic's model objects (`GET /v1/models` with `anthropic-version`). */
function anthropicModel(id: string) {
  return { type: 'model', id, display_name: id, created_at: new Date(MODEL_EPOCH * 1000).toISOString() };
}

function anthropicModelList(ids: string[]) {
  return { data: ids.map(anthropicModel), has_more: false, first_id: ids[0] ?? null, last_id: ids.at(-1) ?? null };
}

/**
 * The prompt-cache session of a chat call: OpenAI's `prompt_cache_key`, an agent's session header,
 * or the conversation's stable start (tools and the messages up to the first user turn).
 */
function chatSession(request: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const key = str(body.prompt_cache_key);
  return firstAffinity(key && `k:${key}`, sessionHeader(request.headers), () => {
    if (!mayHoldCachedPrompt(request.headers)) return undefined;
    const messages = arr(body.messages);
    const firstUser = messages.findIndex((m) => obj(m)?.role === 'user');
    return prefixAffinity([body.tools ?? body.functions ?? null, messages.slice(0, firstUser + 1)]);
  });
}
