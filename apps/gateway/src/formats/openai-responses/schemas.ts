import { Type } from '@sinclair/typebox';

/**
 * OpenAI's Responses API request (`CreateResponse`, https://platform.openai.com/docs/api-reference/responses/create)
 * as the gateway checks it: the fields it routes, meters or translates. Every other field is allowed
 * and passed through to OpenAI and Azure channels untouched.
 */
const Item = Type.Object({}, { additionalProperties: true });

export const CreateResponseRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    input: Type.Optional(Type.Union([Type.String(), Type.Array(Item)])),
    instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    // OpenAI's documented minimum is 16.
    max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 16 }), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    tools: Type.Optional(Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }))),
    tool_choice: Type.Optional(Type.Union([Type.String(), Item])),
    parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    text: Type.Optional(Type.Union([Item, Type.Null()])),
    reasoning: Type.Optional(Type.Union([Item, Type.Null()])),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    user: Type.Optional(Type.String()),
    safety_identifier: Type.Optional(Type.String()),
    prompt_cache_key: Type.Optional(Type.String()),
    include: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  },
  { additionalProperties: true },
);

/** `POST /v1/responses/input_tokens` (`TokenCountsBody`): every field optional, as in OpenAI's API. */
export const InputTokensRequest = Type.Object(
  {
    model: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
    input: Type.Optional(Type.Union([Type.String(), Type.Array(Item), Type.Null()])),
    instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    tools: Type.Optional(Type.Union([Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true })), Type.Null()])),
  },
  { additionalProperties: true },
);

/** `POST /v1/responses/compact` (`CompactResponseMethodPublicBody`). */
export const CompactRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    input: Type.Optional(Type.Union([Type.String(), Type.Array(Item), Type.Null()])),
    instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: true },
);

export const ResponseIdParams = Type.Object({ id: Type.String({ minLength: 1 }) });

/** `GET /v1/responses/{id}`: `include[]` is accepted (the stored Response has what it had); `stream` replays background responses only. */
export const GetResponseQuery = Type.Object({ stream: Type.Optional(Type.Boolean()), starting_after: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: true });

/** `GET /v1/responses/{id}/input_items`: a page of `limit` items (1–100, default 20) after the item `after`, newest first by default. */
export const InputItemsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    after: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
