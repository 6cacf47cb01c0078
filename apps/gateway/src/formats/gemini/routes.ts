import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { lazyValidators } from '../validation.js';
import type { FormatHost } from '../host.js';
import { firstAffinity, mayHoldCachedPrompt, prefixAffinity, sessionHeader } from '../affinity.js';
import { obj, str } from '../canonical/util.js';
import { countCanonicalPromptOffLoop } from '../canonical/count.js';
import { parseRequest } from './canonical.js';
import type { Operation } from '../../core/calls.js';
import { BatchEmbedContentsRequest, CountTokensRequest, EmbedContentRequest, GenerateContentRequest } from './schemas.js';

interface Method {
  operation: Operation;
  stream: boolean;
  schema: object;
}

const METHODS: Record<string, Method> = {
  generateContent: { operation: 'chat', stream: false, schema: GenerateContentRequest },
  streamGenerateContent: { operation: 'chat', stream: true, schema: GenerateContentRequest },
  embedContent: { operation: 'embedding', stream: false, schema: EmbedContentRequest },
  batchEmbedContents: { operation: 'embedding', stream: false, schema: BatchEmbedContentsRequest },
  countTokens: { operation: 'count_tokens', stream: false, schema: CountTokensRequest },
};

/**
 * The Gemini dialect: `/v1beta/models/{model}:{method}` and the model list, keyed by
 * `x-goog-api-key` or `?key=` with the gateway's own keys. The method sits after a colon in the
 * last path segment, which the router cannot split, so one route takes the segment and the body is
 * checked against the method's schema here.
 */
export function registerGeminiRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: 'gemini' as const };
  // The body checks of the other dialects' routes; each method's schema is compiled on its first call.
  const validator = lazyValidators(false);
  const validators = new Map(Object.entries(METHODS).map(([name, m]) => [name, validator(m.schema, 'body')]));
  const security: { [k: string]: string[] }[] = [{ bearer: [] }];

  for (const version of ['v1beta', 'v1']) {
    app.post(`/${version}/models/:target`, { config, schema: { tags: ['Gemini dialect'], summary: 'generateContent, streamGenerateContent, embedContent, batchEmbedContents, countTokens', security } }, async (request, reply) => {
      const target = (request.params as { target: string }).target;
      const colon = target.lastIndexOf(':');
      const model = colon > 0 ? target.slice(0, colon).replace(/^models\//, '') : '';
      const name = colon > 0 ? target.slice(colon + 1) : '';
      const method = METHODS[name];
      if (!method || !model) throw new GatewayError('not_found', `Unknown method: ${target}. Use {model}:generateContent, :streamGenerateContent, :embedContent, :batchEmbedContents or :countTokens.`, { code: 'unknown_method' });
      const checked = validators.get(name)!(request.body);
      if (checked.error) throw checked.error;
      const body = request.body as Record<string, unknown>;
      if (method.stream && (request.query as { alt?: string }).alt !== 'sse')
        throw new GatewayError('invalid_request', 'Streaming is served as server-sent events only: add `alt=sse` to the URL.', { param: 'alt', code: 'unsupported_value' });
      if (method.operation === 'count_tokens') return countTokens(host, request, reply, model, body);
      return relay(host, request, reply, { model, operation: method.operation, stream: method.stream, endpoint: `/${version}/models/{model}:${name}`, body });
    });
  }

  // Only v1beta lists models: GET /v1/models is the OpenAI dialect's.
  {
    const version = 'v1beta';

    app.get(`/${version}/models`, { config, schema: { tags: ['Gemini dialect'], summary: 'Models this key may use, in Gemini shape', security } }, async (request) => {
      const models = await host.models(request.apiKey!.group);
      return { models: models.map((m) => modelInfo(m.id)) };
    });

    app.get(`/${version}/models/:model`, { config, schema: { tags: ['Gemini dialect'], summary: 'One model', security } }, async (request) => {
      const id = (request.params as { model: string }).model.replace(/^models\//, '');
      const m = (await host.models(request.apiKey!.group)).find((x) => x.id === id);
      if (!m) throw new GatewayError('not_found', `models/${id} is not found or you do not have access to it.`, { code: 'model_not_found' });
      return modelInfo(m.id);
    });
  }
}

function modelInfo(id: string) {
  const embedding = /embed/i.test(id);
  return {
    name: `models/${id}`,
    displayName: id,
    supportedGenerationMethods: embedding ? ['embedContent', 'batchEmbedContents'] : ['generateContent', 'streamGenerateContent', 'countTokens'],
  };
}

/** Gemini channels count exactly; for a model served elsewhere the gateway counts itself. */
async function countTokens(host: FormatHost, request: FastifyRequest, reply: FastifyReply, model: string, body: Record<string, unknown>) {
  const first = await host.firstProvider(model, request.apiKey!.group, 'chat');
  if (first?.dialect === 'gemini' && first.operations.includes('count_tokens'))
    return relay(host, request, reply, { model, operation: 'count_tokens', stream: false, endpoint: '/v1beta/models/{model}:countTokens', body });
  const inner = (body.generateContentRequest as Record<string, unknown> | undefined) ?? body;
  return { totalTokens: await countCanonicalPromptOffLoop(parseRequest({ contents: [], ...inner }, model, false), host.counter) };
}

function relay(host: FormatHost, request: FastifyRequest, reply: FastifyReply, call: { model: string; operation: Operation; stream: boolean; endpoint: string; body: Record<string, unknown> }) {
  const affinity = call.operation === 'chat' ? () => contentsSession(request, call.body) : undefined;
  return host.run(request, reply, { kind: 'text', dialect: 'gemini', clientWantsUsage: true, ...call, affinity, releasesBody: true }, 'gemini');
}

/**
 * The prompt-cache session of a generateContent call: the `cachedContent` it names (an explicit
 * cache exists in one Google project only: the channel's), a session header, or the conversation's
 * stable start (system instruction, tools, the contents up to the first user turn).
 */
function contentsSession(request: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const cached = str(body.cachedContent ?? body.cached_content);
  return firstAffinity(cached && `c:${cached}`, sessionHeader(request.headers), () => {
    if (!mayHoldCachedPrompt(request.headers)) return undefined;
    const contents = Array.isArray(body.contents) ? body.contents : [body.contents];
    const firstUser = contents.findIndex((c) => (obj(c)?.role ?? 'user') === 'user');
    return prefixAffinity([body.systemInstruction ?? body.system_instruction ?? null, body.tools ?? null, contents.slice(0, firstUser + 1)]);
  });
}
