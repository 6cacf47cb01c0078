import { Type, type Static } from '@sinclair/typebox';

/**
 * Request bodies at the image boundary. OpenAI's fields are checked by type here; what a size or
 * `n` may be depends on the provider and model, and is checked by that provider's backend.
 */
export const ImageExtra = Type.Object(
  {
    negative_prompt: Type.Optional(Type.String({ maxLength: 10_000 })),
    steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 150 })),
    sampler: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    seed: Type.Optional(Type.Integer({ minimum: -1, maximum: 4294967295 })),
    cfg_scale: Type.Optional(Type.Number({ minimum: 0, maximum: 35 })),
    strength: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type ImageExtra = Static<typeof ImageExtra>;

const ResponseFormat = Type.Union([Type.Literal('url'), Type.Literal('b64_json')]);

export const ImageGenerationRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    prompt: Type.String({ minLength: 1, maxLength: 32_000 }),
    n: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10 }), Type.Null()])),
    size: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    quality: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    style: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    response_format: Type.Optional(Type.Union([ResponseFormat, Type.Null()])),
    user: Type.Optional(Type.String()),
    extra: Type.Optional(ImageExtra),
  },
  // Fields of newer models (background, output_format...) are accepted; backends send what they know.
  { additionalProperties: true },
);
export type ImageGenerationRequest = Static<typeof ImageGenerationRequest>;

/** The text fields of a `/v1/images/edits` form (files are checked by the route). */
export const ImageEditFields = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    prompt: Type.String({ minLength: 1, maxLength: 32_000 }),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    size: Type.Optional(Type.String()),
    quality: Type.Optional(Type.String()),
    response_format: Type.Optional(ResponseFormat),
    user: Type.Optional(Type.String()),
    extra: Type.Optional(ImageExtra),
  },
  { additionalProperties: true },
);
export type ImageEditFields = Static<typeof ImageEditFields>;

/**
 * A1111's txt2img / img2img bodies as far as the gateway reads them (routing, pricing); the rest goes
 * to the WebUI untouched, so every extension's fields keep working.
 */
export const WebuiGenerationBody = Type.Object(
  {
    prompt: Type.Optional(Type.String()),
    width: Type.Optional(Type.Integer({ minimum: 8, maximum: 8192 })),
    height: Type.Optional(Type.Integer({ minimum: 8, maximum: 8192 })),
    steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    n_iter: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    override_settings: Type.Optional(Type.Union([Type.Object({ sd_model_checkpoint: Type.Optional(Type.String()) }, { additionalProperties: true }), Type.Null()])),
    init_images: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  },
  { additionalProperties: true },
);
export type WebuiGenerationBody = Static<typeof WebuiGenerationBody>;

const ImageDatum = Type.Object({
  b64_json: Type.Optional(Type.String()),
  url: Type.Optional(Type.String()),
  revised_prompt: Type.Optional(Type.String()),
});

export const ImagesResponse = Type.Object(
  {
    created: Type.Integer(),
    data: Type.Array(ImageDatum),
  },
  { additionalProperties: true },
);
