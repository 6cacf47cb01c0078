import { Type } from '@sinclair/typebox';

/**
 * Gemini request bodies as the gateway checks them. Google accepts snake_case as well as
 * camelCase, so only the shape of `contents` and the embedding inputs is enforced.
 */
const Part = Type.Object({}, { additionalProperties: true });
const Content = Type.Object({ role: Type.Optional(Type.String()), parts: Type.Array(Part, { minItems: 1 }) }, { additionalProperties: true });

export const GenerateContentRequest = Type.Object({ contents: Type.Union([Type.Array(Content, { minItems: 1 }), Content]) }, { additionalProperties: true });

export const EmbedContentRequest = Type.Object({ content: Content }, { additionalProperties: true });

export const BatchEmbedContentsRequest = Type.Object(
  { requests: Type.Array(Type.Object({ content: Content, model: Type.Optional(Type.String()) }, { additionalProperties: true }), { minItems: 1 }) },
  { additionalProperties: true },
);

export const CountTokensRequest = Type.Object(
  { contents: Type.Optional(Type.Union([Type.Array(Content), Content])), generateContentRequest: Type.Optional(GenerateContentRequest) },
  { additionalProperties: true },
);
