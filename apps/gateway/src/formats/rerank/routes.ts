import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { FormatHost } from '../host.js';
import { OpenAIErrorBody } from '../openai/schemas.js';
import { readRerankUsage, rerankQuote } from './codec.js';
import { readOffLoop } from '../tokens.js';
import { MAX_DOCUMENTS, RerankRequest, RerankResponse } from './schemas.js';

/** The dialect of the rerank routes: OpenAI's error envelope, the gateway key as a Bearer token. */
export const RERANK_DIALECT = 'rerank';

const errorResponses = { 400: OpenAIErrorBody, 401: OpenAIErrorBody, 404: OpenAIErrorBody, 429: OpenAIErrorBody, 502: OpenAIErrorBody };

const PATHS = [
  { path: '/v1/rerank', summary: 'Rerank documents against a query (Cohere / Jina request shape)' },
  { path: '/v2/rerank', summary: 'Rerank documents against a query (Cohere v2 clients)' },
];

/**
 * `POST /v1/rerank` and `/v2/rerank`: the request goes to the channel's provider in the shape the
 * caller sent (every rerank provider takes the same one), with the channel's model name, and the
 * provider's answer comes back byte for byte. Billing sees tokens and search units: counted before
 * the call, then taken from what the provider reported.
 */
export function registerRerankRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: RERANK_DIALECT };
  for (const ep of PATHS) {
    app.post(
      ep.path,
      { config, schema: { tags: ['Rerank'], summary: ep.summary, body: RerankRequest, response: { 200: RerankResponse, ...errorResponses }, security: [{ bearer: [] }] } },
      async (request, reply) => {
        const body = request.body as RerankRequest & Record<string, unknown>;
        checkRerank(body);
        const units = await readOffLoop((count) => rerankQuote(body.query, body.documents, body.rank_fields, count), host.counter);
        return host.run(
          request,
          reply,
          {
            kind: 'forward',
            dialect: RERANK_DIALECT,
            operation: 'rerank',
            endpoint: ep.path,
            model: body.model,
            body,
            units,
            readUsage: (answer) => readRerankUsage(answer, units),
          },
          RERANK_DIALECT,
        );
      },
    );
  }
}

/** The limits every rerank provider shares, each refused with its own message before any upstream call. */
function checkRerank(body: RerankRequest): void {
  if (!body.query.trim()) throw new GatewayError('invalid_request', "'query' must not be empty.", { param: 'query', code: 'invalid_value' });
  const n = body.documents.length;
  if (n === 0) throw new GatewayError('invalid_request', "'documents' must not be empty: send 1 to 1000 documents.", { param: 'documents', code: 'invalid_value' });
  if (n > MAX_DOCUMENTS) throw new GatewayError('invalid_request', `Too many documents: ${n} sent, at most ${MAX_DOCUMENTS} per request.`, { param: 'documents', code: 'invalid_value' });
  const fields = body.rank_fields;
  body.documents.forEach((d, i) => {
    if (typeof d === 'object' && !fields?.length && typeof d.text !== 'string')
      throw new GatewayError('invalid_request', `'documents[${i}]' must be a string or an object with a 'text' field (or name its fields in 'rank_fields').`, { param: `documents[${i}]`, code: 'invalid_value' });
  });
  if (body.top_n !== undefined && body.top_n !== null && body.top_n < 1)
    throw new GatewayError('invalid_request', `'top_n' must be at least 1 (got ${body.top_n}); leave it out to get every document ranked.`, { param: 'top_n', code: 'invalid_value' });
}
