import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { FormatHost } from '../host.js';
import { RESPONSES_DIALECT } from './canonical.js';
import { CreateResponseRequest } from './schemas.js';

/** Said of every call that needs responses kept by the gateway, which this version does not do. */
const NOT_STORED = 'Stored responses are not available on this gateway yet: send the whole conversation in `input` (with `store: false`), as stateless clients do.';

/**
 * The Responses API (https://platform.openai.com/docs/api-reference/responses): `POST /v1/responses`,
 * plain and streamed, served by every chat provider — passed through to OpenAI and Azure channels,
 * translated through the canonical form for the others. Keyed by a bearer token; errors in
 * OpenAI's envelope.
 */
export function registerResponsesRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: RESPONSES_DIALECT };
  const security: { [k: string]: string[] }[] = [{ bearer: [] }];
  const tags = ['Responses API'];

  app.post('/v1/responses', { config, schema: { tags, summary: 'Create a model response (OpenAI Responses API), plain or streamed, with any provider', body: CreateResponseRequest, security } }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    if (typeof body.previous_response_id === 'string') throw new GatewayError('invalid_request', `${NOT_STORED} 'previous_response_id' cannot be used.`, { param: 'previous_response_id', code: 'unsupported_parameter' });
    if (body.conversation != null) throw new GatewayError('invalid_request', `${NOT_STORED} 'conversation' cannot be used.`, { param: 'conversation', code: 'unsupported_parameter' });
    if (body.background === true) throw new GatewayError('invalid_request', `${NOT_STORED} Background responses cannot be used.`, { param: 'background', code: 'unsupported_parameter' });
    if (body.stream_options != null && body.stream !== true)
      throw new GatewayError('invalid_request', "The 'stream_options' parameter is only allowed when 'stream' is enabled.", { param: 'stream_options', code: 'invalid_value' });
    return host.run(
      request,
      reply,
      { kind: 'text', dialect: RESPONSES_DIALECT, operation: 'chat', endpoint: '/v1/responses', model: String(body.model), stream: body.stream === true, body, clientWantsUsage: true },
      RESPONSES_DIALECT,
    );
  });

  // The calls on stored responses: answered plainly until the gateway keeps responses.
  const notYet = async () => {
    throw new GatewayError('not_found', NOT_STORED, { code: 'unsupported_endpoint' });
  };
  const hidden = { tags, hide: true, security };
  app.get('/v1/responses/:id', { config, schema: hidden }, notYet);
  app.delete('/v1/responses/:id', { config, schema: hidden }, notYet);
  app.get('/v1/responses/:id/input_items', { config, schema: hidden }, notYet);
  app.post('/v1/responses/:id/cancel', { config, schema: hidden }, notYet);
  app.post('/v1/responses/compact', { config, schema: hidden }, async () => {
    throw new GatewayError('not_found', 'Remote compaction (/v1/responses/compact) is not available on this gateway yet; the client compacts the conversation itself.', { code: 'unsupported_endpoint' });
  });
}
