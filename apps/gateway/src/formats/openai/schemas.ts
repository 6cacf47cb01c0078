import { Type, type Static } from '@sinclair/typebox';

/**
 * The OpenAI request bodies the gateway checks before relaying. They name the fields the gateway
 * routes, meters or must reject; every other field is allowed and passed through untouched, so new
 * provider features work without a gateway release.
 */
const Role = Type.Unsafe<string>({ type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] });

const Message = Type.Object(
  {
    role: Role,
    content: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true })), Type.Null()])),
    name: Type.Optional(Type.String()),
    tool_call_id: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  },
  { additionalProperties: true },
);

const Stop = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 }), Type.Null()]));
const StreamOptions = Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }), Type.Null()]));
const PositiveInt = Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]));

export const ChatCompletionRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    messages: Type.Array(Message, { minItems: 1 }),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: StreamOptions,
    max_tokens: PositiveInt,
    max_completion_tokens: PositiveInt,
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 128 }), Type.Null()])),
    stop: Stop,
    tools: Type.Optional(Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }))),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

export const CompletionRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    prompt: Type.Union([Type.String(), Type.Array(Type.String()), Type.Array(Type.Integer()), Type.Array(Type.Array(Type.Integer()))]),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: StreamOptions,
    max_tokens: PositiveInt,
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 128 }), Type.Null()])),
    stop: Stop,
  },
  { additionalProperties: true },
);
export type CompletionRequest = Static<typeof CompletionRequest>;

export const EmbeddingRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    input: Type.Union([
      Type.String({ minLength: 1 }),
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 2048 }),
      Type.Array(Type.Integer(), { minItems: 1 }),
      Type.Array(Type.Array(Type.Integer(), { minItems: 1 }), { minItems: 1, maxItems: 2048 }),
    ]),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type EmbeddingRequest = Static<typeof EmbeddingRequest>;

export const OpenAIErrorBody = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String(),
    param: Type.Union([Type.String(), Type.Null()]),
    code: Type.Union([Type.String(), Type.Null()]),
  }),
});

const NullableP = (description: string) => Type.Union([Type.Number({ description }), Type.Null()]);

/** A model's price as its caller pays it, in P (1 P = US$0.001). */
export const ModelPricing = Type.Object({
  input: Type.Number({ description: 'P per 1K input tokens' }),
  cachedInput: Type.Number({ description: 'P per 1K cached input tokens' }),
  output: Type.Number({ description: 'P per 1K output tokens' }),
  reasoning: Type.Number({ description: 'P per 1K reasoning tokens (billed as output)' }),
  perImage: NullableP('P per standard image (1024x1024)'),
  perKChars: NullableP('P per 1,000 characters of speech'),
  perSecond: NullableP('P per second of audio heard'),
  perMinute: NullableP('P per minute of audio heard'),
  perKSearches: NullableP('P per 1,000 rerank searches'),
});

export const ModelList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      object: Type.Literal('model'),
      created: Type.Integer(),
      owned_by: Type.String(),
      // The gateway's additions (OpenAI's SDKs keep unknown fields): what the model does and what one
      // unit costs this key's account, in P, as the console's Models & prices page shows it.
      capability: Type.Optional(Type.String({ description: 'chat, completion, image, embedding, speech, transcription or rerank' })),
      pricing: Type.Optional(Type.Union([ModelPricing, Type.Null()], { description: "P per unit for this key's account (its group's multiplier applied); null: not priced, calls are refused" })),
    }),
  ),
});

/** The same list as Anthropic's SDK reads it. */
export const AnthropicModelList = Type.Object({
  data: Type.Array(Type.Object({ type: Type.Literal('model'), id: Type.String(), display_name: Type.String(), created_at: Type.String() })),
  has_more: Type.Boolean(),
  first_id: Type.Union([Type.String(), Type.Null()]),
  last_id: Type.Union([Type.String(), Type.Null()]),
});
