import { Type } from '@sinclair/typebox';

/**
 * Anthropic request bodies as the gateway checks them: only what the gateway itself needs (the
 * model it routes on, the turns it meters, the output limit it reserves, whether to stream).
 * Everything else — roles, content blocks, `thinking` (`enabled` or `adaptive`), `output_config`,
 * tool fields such as `defer_loading`, `context_management`, `metadata` — is the provider's to judge,
 * so new Messages API features work without a gateway release
 * (https://docs.anthropic.com/en/api/messages).
 */
const Message = Type.Object({}, { additionalProperties: true });

const common = {
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Message, { minItems: 1 }),
};

export const MessagesRequest = Type.Object(
  {
    ...common,
    max_tokens: Type.Integer({ minimum: 1 }),
    stream: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const CountTokensRequest = Type.Object(common, { additionalProperties: true });

export const AnthropicErrorBody = Type.Object({
  type: Type.Literal('error'),
  error: Type.Object({ type: Type.String(), message: Type.String() }),
});
