import { Type, type Static } from '@sinclair/typebox';

/**
 * The rerank request as Cohere (https://docs.cohere.com/reference/rerank) and Jina
 * (https://jina.ai/reranker/) define it, which self-hosted servers (TEI, vLLM, Xinference) and
 * Zhipu follow too. The gateway checks the fields it meters or must refuse; the limits (a
 * non-empty query, 1 to 1000 documents, `top_n` of at least 1) are checked by the route, so each
 * gets its own message. Every other field passes through to the provider untouched.
 */
const Document = Type.Union([
  Type.String(),
  Type.Object({ text: Type.Optional(Type.String()) }, { additionalProperties: true, description: 'A document as an object: `text`, or the fields named in `rank_fields`.' }),
]);

export const RerankRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    query: Type.String({ description: 'The search query; must not be empty.' }),
    documents: Type.Array(Document, { description: 'The texts to rank: 1 to 1000 strings or `{text}` objects.' }),
    top_n: Type.Optional(Type.Union([Type.Integer({ description: 'How many results to return (at least 1); default all.' }), Type.Null()])),
    return_documents: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    max_tokens_per_doc: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    rank_fields: Type.Optional(Type.Union([Type.Array(Type.String(), { minItems: 1 }), Type.Null()])),
  },
  { additionalProperties: true },
);
export type RerankRequest = Static<typeof RerankRequest>;

/** The most documents one call may rank (Cohere's limit). */
export const MAX_DOCUMENTS = 1000;

/** Documents per search unit: a query with up to 100 documents is one search (Cohere's billing unit). */
export const DOCUMENTS_PER_SEARCH = 100;

/** The answer, as the providers give it; documented, never checked (it goes back byte for byte). */
export const RerankResponse = Type.Object(
  {
    id: Type.Optional(Type.String()),
    results: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          relevance_score: Type.Number(),
          document: Type.Optional(Type.Union([Type.String(), Type.Object({ text: Type.Optional(Type.String()) }, { additionalProperties: true })])),
        },
        { additionalProperties: true },
      ),
    ),
    meta: Type.Optional(Type.Object({}, { additionalProperties: true, description: "Cohere's `api_version`, `billed_units.search_units`, `tokens`." })),
    usage: Type.Optional(Type.Object({}, { additionalProperties: true, description: "Jina's `total_tokens`, Zhipu's `prompt_tokens`." })),
  },
  { additionalProperties: true },
);
