import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { utf8Text } from '../../core/utf8.js';
import { firstAffinity, mayHoldCachedPrompt, prefixAffinity, sessionHeader } from '../affinity.js';
import { arr, mintId, obj, str } from '../canonical/util.js';
import type { FormatHost, StoredResponse } from '../host.js';
import { RESPONSES_DIALECT } from './canonical.js';
import { compactedOutput, summaryOf, summaryRequest } from './compact.js';
import { readOffLoop } from '../tokens.js';
import { countInputTokens } from './input-tokens.js';
import { asItemList, inputItems, outputItems, referencedIds, replayItems, resolveReferences } from './items.js';
import { recordResponse } from './recorder.js';
import { CompactRequest, CreateResponseRequest, GetResponseQuery, InputItemsQuery, InputTokensRequest, ResponseIdParams } from './schemas.js';

type Json = Record<string, unknown>;

/** Said of the features that need the gateway to run responses in the background, which it does not. */
const NOT_SERVED = 'This gateway answers responses as they are made: background responses and the Conversations API are not available.';

/**
 * One message for an id that does not exist, has expired, or is another account's: the answer
 * tells nothing about ids that are not the caller's.
 */
const notFound = (id: string) => new GatewayError('not_found', `Response with id '${id}' not found.`, { param: 'response_id' });

/**
 * The Responses API (https://platform.openai.com/docs/api-reference/responses): `POST /v1/responses`,
 * plain and streamed, served by every chat provider — passed through to OpenAI and Azure channels,
 * translated through the canonical form for the others; stored responses (`store`, default true)
 * kept by the gateway per account, continued with `previous_response_id` on any provider, read and
 * deleted by id; the input-token count and compaction. Keyed by a bearer token; errors in OpenAI's
 * envelope.
 */
export function registerResponsesRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: RESPONSES_DIALECT };
  const security: { [k: string]: string[] }[] = [{ bearer: [] }];
  const tags = ['Responses API'];

  app.post('/v1/responses', { config, schema: { tags, summary: 'Create a model response (OpenAI Responses API), plain or streamed, with any provider', body: CreateResponseRequest, security } }, async (request, reply) => {
    const body = request.body as Json;
    if (body.conversation != null) throw new GatewayError('invalid_request', `${NOT_SERVED} Use 'previous_response_id' instead of 'conversation'.`, { param: 'conversation', code: 'unsupported_parameter' });
    if (body.background === true) throw new GatewayError('invalid_request', NOT_SERVED, { param: 'background', code: 'unsupported_parameter' });
    if (body.stream_options != null && body.stream !== true)
      throw new GatewayError('invalid_request', "The 'stream_options' parameter is only allowed when 'stream' is enabled.", { param: 'stream_options', code: 'invalid_value' });
    const model = String(body.model);
    const previousId = str(body.previous_response_id) ?? null;
    const context = previousId ? await conversationOf(host, request, previousId) : [];
    // The provider gets the stored conversation itself, never our id: it is the gateway's, and the
    // channel that serves this call may not be the one that made the response.
    let sent = body;
    if (previousId) {
      const { previous_response_id: _, ...rest } = body;
      sent = { ...rest, input: [...replayItems(context), ...asItemList(body.input)] };
    }
    // Earlier items named by reference (the AI SDK's way of sending its history back when `store`
    // is on) are sent as the items they name, which every provider can take.
    const references = referencedIds(sent.input);
    if (references.length) sent = { ...sent, input: resolveReferences(asItemList(sent.input), await host.responses.items(request, references)) };
    const store = body.store !== false;
    const save = store
      ? (response: Json) => host.responses.save(request, { id: String(response.id), model, response, inputItems: [...context, ...inputItems(body.input)] })
      : null;
    return host.run(
      request,
      reply,
      { kind: 'text', dialect: RESPONSES_DIALECT, operation: 'chat', endpoint: '/v1/responses', model, stream: body.stream === true, body: sent, clientWantsUsage: true, affinity: () => responsesSession(request, sent) },
      RESPONSES_DIALECT,
      save || previousId ? recordResponse(previousId, save) : undefined,
    );
  });

  app.post('/v1/responses/input_tokens', { config, schema: { tags, summary: 'Count the input tokens of a response request, for the model\'s provider', body: InputTokensRequest, security } }, async (request, reply) => {
    const body = request.body as Json;
    const previousId = str(body.previous_response_id);
    const expanded = previousId ? withoutPrevious(body, await conversationOf(host, request, previousId)) : body;
    return { object: 'response.input_tokens', input_tokens: await countInputTokens(host, request, reply, expanded) };
  });

  app.post('/v1/responses/compact', { config, schema: { tags, summary: 'Compact a conversation: the model summarises it, for clients such as Codex CLI', body: CompactRequest, security } }, async (request, reply) => {
    const body = request.body as Json;
    const previousId = str(body.previous_response_id);
    const history = [...(previousId ? await conversationOf(host, request, previousId) : []), ...asItemList(body.input).map((i) => obj(i) ?? {})];
    const answer = await host.call(request, reply, {
      kind: 'text',
      dialect: RESPONSES_DIALECT,
      operation: 'chat',
      endpoint: '/v1/responses/compact',
      model: String(body.model),
      stream: false,
      body: summaryRequest(body, history),
      clientWantsUsage: true,
      // Codex compacts on the channel that holds the session's cached prompt.
      affinity: () => responsesSession(request, body),
    });
    // A provider's refusal reaches the caller as it came (OpenAI's envelope, for OpenAI channels).
    if (answer.status >= 300) return reply.code(answer.status).headers(answer.headers).type(answer.contentType).send(answer.body);
    const response = JSON.parse(utf8Text(answer.body)) as Json;
    return reply.headers(answer.headers).send({
      id: mintId('resp_'),
      object: 'response.compaction',
      created_at: Math.floor(Date.now() / 1000),
      // The history's messages are counted off the event loop when they are large (formats/count-thread.ts).
      output: await readOffLoop((count) => compactedOutput(history, summaryOf(response), count), host.counter),
      usage: response.usage ?? null,
    });
  });

  const byId = { config, schema: { tags, params: ResponseIdParams, security } };
  app.get('/v1/responses/:id', { ...byId, schema: { ...byId.schema, summary: 'A stored response', querystring: GetResponseQuery } }, async (request) => {
    const { stream } = request.query as { stream?: boolean };
    if (stream) throw new GatewayError('invalid_request', 'Only background responses can be streamed again, and this gateway does not run responses in the background.', { param: 'stream', code: 'unsupported_parameter' });
    return (await stored(host, request)).response;
  });

  app.delete('/v1/responses/:id', { ...byId, schema: { ...byId.schema, summary: 'Delete a stored response' } }, async (request) => {
    const { id } = request.params as { id: string };
    if (!(await host.responses.delete(request, id))) throw notFound(id);
    return { id, object: 'response', deleted: true };
  });

  app.get('/v1/responses/:id/input_items', { ...byId, schema: { ...byId.schema, summary: 'The input items a stored response was made from', querystring: InputItemsQuery } }, async (request) => {
    const q = request.query as { limit?: number; order?: 'asc' | 'desc'; after?: string };
    return itemPage((await stored(host, request)).inputItems, q.limit ?? 20, q.order ?? 'desc', q.after);
  });

  app.post('/v1/responses/:id/cancel', { ...byId, schema: { ...byId.schema, summary: 'Cancel a background response' } }, async (request) => {
    await stored(host, request);
    throw new GatewayError('invalid_request', 'Only background responses can be cancelled.', { code: 'invalid_value' });
  });
}

/**
 * The prompt-cache session of a Responses call: `prompt_cache_key` (Codex sets it to its
 * conversation id), an agent's session header, or the conversation's stable start (instructions,
 * tools and the items up to the first user message; a continued response's stored items lead).
 */
function responsesSession(request: FastifyRequest, body: Json): string | undefined {
  const key = str(body.prompt_cache_key);
  return firstAffinity(key && `k:${key}`, sessionHeader(request.headers), () => {
    // A continued response is judged by the whole conversation it sends, not by the caller's body.
    if (body === request.body && !mayHoldCachedPrompt(request.headers)) return undefined;
    const input = typeof body.input === 'string' ? [body.input] : arr(body.input);
    const firstUser = input.findIndex((i) => typeof i === 'string' || obj(i)?.role === 'user');
    return prefixAffinity([body.instructions ?? null, body.tools ?? null, input.slice(0, firstUser + 1)]);
  });
}

/** The caller's stored response named by the path, or the one 404. */
async function stored(host: FormatHost, request: FastifyRequest): Promise<StoredResponse> {
  const { id } = request.params as { id: string };
  const r = await host.responses.get(request, id);
  if (!r) throw notFound(id);
  return r;
}

/**
 * The conversation a stored response ends: the items it was made from (those of the responses it
 * continued included), then its output. 400 `previous_response_not_found` as OpenAI answers, with
 * one message whether the id is unknown, expired or another account's.
 */
async function conversationOf(host: FormatHost, request: FastifyRequest, id: string): Promise<Json[]> {
  const prev = await host.responses.get(request, id);
  if (!prev) throw new GatewayError('invalid_request', `Previous response with id '${id}' not found.`, { param: 'previous_response_id', code: 'previous_response_not_found' });
  return [...prev.inputItems, ...outputItems(prev.response)];
}

function withoutPrevious(body: Json, context: Json[]): Json {
  const { previous_response_id: _, ...rest } = body;
  return { ...rest, input: [...replayItems(context), ...asItemList(body.input)] };
}

/** OpenAI's list shape: a page of items after `after`, in `order` (the stored order is the conversation's). */
function itemPage(items: Json[], limit: number, order: 'asc' | 'desc', after: string | undefined) {
  const ordered = order === 'asc' ? items : [...items].reverse();
  const start = after === undefined ? 0 : ordered.findIndex((i) => i.id === after) + 1;
  // An `after` that is not among the items starts nowhere: an empty page, not the first one again.
  const page = after !== undefined && start === 0 ? [] : ordered.slice(start, start + limit);
  return {
    object: 'list',
    data: page,
    first_id: (page[0]?.id as string | undefined) ?? null,
    last_id: (page[page.length - 1]?.id as string | undefined) ?? null,
    has_more: start + page.length < ordered.length && page.length > 0,
  };
}
