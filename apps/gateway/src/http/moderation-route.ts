import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { randomBytes } from 'node:crypto';
import { ZERO_USAGE } from '../core/calls.js';
import type { FormatHost } from '../formats/host.js';
import type { Router } from '../relay/router.js';
import type { SafetyGuard } from '../safety/guard.js';

/** The model a moderation call names when it names none (OpenAI's default). */
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';

/** OpenAI's moderation categories: always present (false), so SDKs that read them find them. */
const OPENAI_CATEGORIES = ['harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent', 'self-harm', 'self-harm/intent', 'self-harm/instructions', 'sexual', 'sexual/minors', 'violence', 'violence/graphic'];

const Input = Type.Union([
  Type.String({ maxLength: 200_000 }),
  Type.Array(Type.String({ maxLength: 200_000 }), { maxItems: 100 }),
  Type.Array(Type.Object({ type: Type.String(), text: Type.Optional(Type.String({ maxLength: 200_000 })) }, { additionalProperties: true }), { maxItems: 100 }),
]);

/**
 * `POST /v1/moderations` in OpenAI's shape. When a channel serves the model for the `moderation`
 * operation (in the key's group), the call goes there through the pipeline like any other (free:
 * logged, rate-limited, never charged) and the provider's answer comes back as it is. Otherwise the
 * gateway's own content rules answer, for the key's group and App: a text is `flagged` when any
 * rule hits it, and each rule that hit appears as a category of its own name (score 1) beside
 * OpenAI's categories (false: the rules do not classify by those). The answer's `apigpt_action`
 * says what the rules would do to the text in a call.
 */
export function registerModerationRoute(app: FastifyInstance, deps: { guard: SafetyGuard; router: Router; host: FormatHost }): void {
  const { guard, router, host } = deps;
  app.post(
    '/v1/moderations',
    { config: { dialect: 'openai' }, schema: { tags: ['OpenAI dialect'], summary: "Moderation (OpenAI's shape), answered by the gateway's content rules", body: Type.Object({ input: Input, model: Type.Optional(Type.String({ maxLength: 200 })) }), security: [{ bearer: [] }] } },
    async (request, reply) => {
      const body = request.body as { input: string | string[] | { type: string; text?: string }[]; model?: string };
      const key = request.apiKey!;
      const model = body.model ?? DEFAULT_MODERATION_MODEL;
      if (await servedByChannel(router, model, key.group)) {
        return host.run(request, reply, { kind: 'forward', dialect: 'openai', operation: 'moderation', endpoint: '/v1/moderations', model, body: { ...body, model }, units: ZERO_USAGE, free: true }, 'openai');
      }
      const texts = typeof body.input === 'string' ? [body.input] : body.input.map((i) => (typeof i === 'string' ? i : i.type === 'text' ? (i.text ?? '') : ''));
      const rules = guard.current();
      const scope = guard.scopeOf({ group: key.group, appId: key.appId });
      const results = texts.map((text) => {
        const v = rules.check(text, scope, 'input');
        const categories: Record<string, boolean> = Object.fromEntries(OPENAI_CATEGORIES.map((c) => [c, false]));
        const scores: Record<string, number> = Object.fromEntries(OPENAI_CATEGORIES.map((c) => [c, 0]));
        for (const h of v.hits) {
          categories[h.ruleName] = true;
          scores[h.ruleName] = 1;
        }
        // The rules read text only: every category applies to the text input.
        const applied: Record<string, string[]> = Object.fromEntries(Object.keys(categories).map((c) => [c, ['text']]));
        return { flagged: v.hits.length > 0, categories, category_scores: scores, category_applied_input_types: applied, apigpt_action: v.action };
      });
      return { id: `modr-${randomBytes(12).toString('hex')}`, model: body.model ?? 'apigpt-rules', results };
    },
  );
}

/** Whether a channel serves `model` for moderation in the group (any other answer: the rules answer). */
async function servedByChannel(router: Router, model: string, group: string): Promise<boolean> {
  try {
    return (await router.routes(model, group, 'moderation')).length > 0;
  } catch {
    return false;
  }
}
