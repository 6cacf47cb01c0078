import { Type } from '@sinclair/typebox';

/**
 * Anthropic request bodies as the gateway checks them: the fields it routes, meters or must
 * reject; anything else passes through (new API features work without a gateway release).
 */
const Block = Type.Object({ type: Type.String() }, { additionalProperties: true });

const Message = Type.Object(
  {
    role: Type.Unsafe<string>({ type: 'string', enum: ['user', 'assistant'] }),
    content: Type.Union([Type.String(), Type.Array(Block)]),
  },
  { additionalProperties: true },
);

const common = {
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Message, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(Block)])),
  tools: Type.Optional(Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: true }))),
  tool_choice: Type.Optional(Type.Object({ type: Type.Unsafe<string>({ type: 'string', enum: ['auto', 'any', 'tool', 'none'] }) }, { additionalProperties: true })),
};

export const MessagesRequest = Type.Object(
  {
    ...common,
    max_tokens: Type.Integer({ minimum: 1 }),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);

export const CountTokensRequest = Type.Object(common, { additionalProperties: true });

export const AnthropicErrorBody = Type.Object({
  type: Type.Literal('error'),
  error: Type.Object({ type: Type.String(), message: Type.String() }),
});
