import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dialect, Operation } from '../../core/calls.js';
import { GatewayError } from '../../core/errors.js';
import { anthropicFormat } from '../anthropic/canonical.js';
import { countCanonicalPromptOffLoop } from '../canonical/count.js';
import { num, obj, str } from '../canonical/util.js';
import { geminiFormat } from '../gemini/canonical.js';
import type { FormatHost } from '../host.js';
import { parseRequest, RESPONSES_DIALECT } from './canonical.js';

type Json = Record<string, unknown>;

/**
 * `POST /v1/responses/input_tokens` for the model's provider, as the other dialects' token counts
 * are: OpenAI channels count themselves (`/v1/responses/input_tokens`); for Anthropic and Gemini
 * channels the request is translated and counted by their own endpoints (`/v1/messages/count_tokens`,
 * `:countTokens`); for a model served elsewhere, or no model, the gateway counts with OpenAI's
 * tokenizer over the same turns. Counting is free, rate-limited and logged like any call.
 */
export async function countInputTokens(host: FormatHost, request: FastifyRequest, reply: FastifyReply, body: Json): Promise<number> {
  const model = str(body.model);
  const local = () => countCanonicalPromptOffLoop(parseRequest(body, model ?? '', false), host.counter);
  if (!model) return local();
  const first = await host.firstProvider(model, request.apiKey!.group, 'chat');
  if (!first?.operations.includes('count_tokens')) return local();
  const count = (dialect: Dialect, operation: Operation, sent: Json) =>
    host.call(request, reply, { kind: 'text', dialect, operation, endpoint: '/v1/responses/input_tokens', model, stream: false, body: sent, clientWantsUsage: false });

  if (first.nativeDialects.includes(RESPONSES_DIALECT)) {
    const answer = await count(RESPONSES_DIALECT, 'count_tokens', body);
    return read(answer, (j) => num(j.input_tokens));
  }
  if (first.dialect === 'anthropic') {
    const answer = await count('anthropic', 'count_tokens', anthropicFormat.renderRequest(parseRequest(body, model, false), model));
    return read(answer, (j) => num(j.input_tokens));
  }
  if (first.dialect === 'gemini') {
    // The whole request (system instruction and tools included) is counted inside `generateContentRequest`.
    const answer = await count('gemini', 'count_tokens', { generateContentRequest: geminiFormat.renderRequest(parseRequest(body, model, false), model) });
    return read(answer, (j) => num(j.totalTokens));
  }
  return local();
}

/** The count in a provider's answer; its refusal as an error in the caller's (OpenAI's) shape. */
function read(answer: { status: number; body: Buffer }, pick: (j: Json) => number | undefined): number {
  let json: Json | undefined;
  try {
    json = obj(JSON.parse(answer.body.toString('utf8')));
  } catch {
    json = undefined;
  }
  if (answer.status >= 300) {
    const e = obj(json?.error);
    const message = str(e?.message) ?? `The provider refused to count the input (HTTP ${answer.status}).`;
    throw new GatewayError(answer.status === 429 ? 'rate_limit' : answer.status >= 500 ? 'upstream' : 'invalid_request', message, { status: answer.status, code: str(e?.code) ?? str(e?.type) ?? null });
  }
  const n = json ? pick(json) : undefined;
  if (n === undefined) throw new GatewayError('upstream', 'The provider answered the token count without a count.', { code: 'bad_upstream_response' });
  return n;
}
