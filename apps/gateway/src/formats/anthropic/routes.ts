import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FormatHost } from '../host.js';
import { firstAffinity, mayHoldCachedPrompt, prefixAffinity, sessionHeader } from '../affinity.js';
import { arr, obj, str } from '../canonical/util.js';
import { parseRequest } from './canonical.js';
import { countCanonicalPromptOffLoop } from '../canonical/count.js';
import type { Operation } from '../../core/calls.js';
import { CountTokensRequest, MessagesRequest } from './schemas.js';

/**
 * The Anthropic dialect: `POST /v1/messages` (plain and streamed) and `/v1/messages/count_tokens`,
 * keyed by `x-api-key` (or a bearer token) with the gateway's own keys.
 */
export function registerAnthropicRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: 'anthropic' as const };
  const security: { [k: string]: string[] }[] = [{ bearer: [] }];

  app.post('/v1/messages', { config, schema: { tags: ['Anthropic dialect'], summary: 'Messages (Anthropic-compatible), plain or streamed, to any provider', body: MessagesRequest, security } }, async (request, reply) =>
    relay(host, request, reply, 'chat', '/v1/messages'),
  );

  app.post(
    '/v1/messages/count_tokens',
    { config, schema: { tags: ['Anthropic dialect'], summary: 'Count the input tokens of a Messages request', body: CountTokensRequest, security } },
    async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      const model = String(body.model);
      // Anthropic channels count exactly; for a model served elsewhere the gateway counts itself.
      const first = await host.firstProvider(model, request.apiKey!.group, 'chat');
      if (first?.dialect === 'anthropic' && first.operations.includes('count_tokens'))
        return relay(host, request, reply, 'count_tokens', '/v1/messages/count_tokens');
      return { input_tokens: await countCanonicalPromptOffLoop(parseRequest(body, model, false), host.counter) };
    },
  );
}

/**
 * The caller's headers and query parameters that are Anthropic's protocol, not the gateway's:
 * `anthropic-version`, `anthropic-beta` (every flag: features such as interleaved thinking, context
 * management or 1M context exist only when asked for, https://docs.anthropic.com/en/api/beta-headers)
 * and the SDK's `?beta=true`. Anthropic channels receive them unchanged; translated calls drop them.
 */
const PASS_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;
const PASS_QUERY = ['beta'] as const;

export function anthropicPassThrough(request: FastifyRequest): { headers: Record<string, string>; query: Record<string, string> } {
  const headers: Record<string, string> = {};
  for (const name of PASS_HEADERS) {
    const v = request.headers[name];
    const value = Array.isArray(v) ? v.join(',') : v;
    if (typeof value === 'string' && value !== '') headers[name] = value;
  }
  const query: Record<string, string> = {};
  const q = (request.query ?? {}) as Record<string, unknown>;
  for (const name of PASS_QUERY) if (typeof q[name] === 'string') query[name] = q[name] as string;
  return { headers, query };
}

function relay(host: FormatHost, request: FastifyRequest, reply: FastifyReply, operation: Operation, endpoint: string) {
  const body = request.body as Record<string, unknown>;
  const stream = operation === 'chat' && body.stream === true;
  const passThrough = anthropicPassThrough(request);
  const affinity = operation === 'chat' ? () => messagesSession(request, body) : undefined;
  return host.run(request, reply, { kind: 'text', dialect: 'anthropic', operation, endpoint, model: String(body.model), stream, body, clientWantsUsage: true, passThrough, affinity, releasesBody: true }, 'anthropic');
}

/**
 * The prompt-cache session of a Messages call: `metadata.user_id` (Claude Code puts its session id
 * in it), Claude Code's session header, or the conversation's stable start: tools, the system
 * prompt without Claude Code's per-request attribution line, and the turns up to the first user turn.
 */
function messagesSession(request: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const user = str(obj(body.metadata)?.user_id);
  return firstAffinity(user && `u:${user}`, sessionHeader(request.headers), () => {
    if (!mayHoldCachedPrompt(request.headers)) return undefined;
    const system = typeof body.system === 'string' ? body.system : arr(body.system).filter((b) => !ATTRIBUTION.test(str(obj(b)?.text) ?? ''));
    const messages = arr(body.messages);
    const firstUser = messages.findIndex((m) => obj(m)?.role === 'user');
    return prefixAffinity([body.tools ?? null, system ?? null, messages.slice(0, firstUser + 1)]);
  });
}

/** Claude Code's attribution line in the first system block: it changes with every request. */
const ATTRIBUTION = /^x-anthropic-billing-header:/;
