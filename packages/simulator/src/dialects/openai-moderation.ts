// OpenAI moderation (https://platform.openai.com/docs/api-reference/moderations): POST /v1/moderations.
import { stripDirective } from '../controls.js';
import type { Ctx, Outcome, Route } from '../route.js';
import { openaiDialect, openaiError } from './openai.js';

/** OpenAI's categories, and the words that raise each one's score here (deterministic, for tests). */
const CATEGORIES: Record<string, string[]> = {
  harassment: ['idiot', 'loser'],
  'harassment/threatening': ['threaten'],
  hate: ['hate'],
  'hate/threatening': [],
  illicit: ['smuggle', 'counterfeit'],
  'illicit/violent': ['bomb'],
  'self-harm': ['self-harm'],
  'self-harm/intent': [],
  'self-harm/instructions': [],
  sexual: ['explicit'],
  'sexual/minors': [],
  violence: ['kill', 'attack', 'violence'],
  'violence/graphic': ['gore'],
};

/**
 * Scores each input by counting its trigger words per category: n occurrences score 1 − 0.5ⁿ
 * (one: 0.5, two: 0.75, three: 0.875), none 0.001; a category is flagged from 0.5 on. Thresholds
 * can be tested against these known scores.
 */
export function moderate(ctx: Ctx): Outcome {
  const b = ctx.body;
  if (!b || typeof b !== 'object' || b.input === undefined) return openaiError(400, "'input' is a required property", 'missing_required_parameter', 'input');
  const raw: unknown[] = Array.isArray(b.input) ? b.input : [b.input];
  const texts = raw.map((x) => (typeof x === 'string' ? x : x && typeof x === 'object' && (x as { type?: string }).type === 'text' ? String((x as { text?: unknown }).text ?? '') : ''));
  const results = texts.map((t) => {
    const text = stripDirective(t).toLowerCase();
    const categories: Record<string, boolean> = {};
    const scores: Record<string, number> = {};
    const applied: Record<string, string[]> = {};
    for (const [c, words] of Object.entries(CATEGORIES)) {
      let n = 0;
      for (const w of words) n += text.split(w).length - 1;
      scores[c] = n === 0 ? 0.001 : 1 - 0.5 ** n;
      categories[c] = scores[c] >= 0.5;
      applied[c] = ['text'];
    }
    return { flagged: Object.values(categories).some(Boolean), categories, category_scores: scores, category_applied_input_types: applied };
  });
  const model = typeof b.model === 'string' ? b.model : 'omni-moderation-latest';
  return { kind: 'json', body: { id: ctx.sim.newId('modr-'), model, results } };
}

export const moderationRoutes: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/moderations\/?$/,
    dialect: openaiDialect,
    directiveText: (b) => (typeof b.input === 'string' ? b.input : Array.isArray(b.input) && typeof b.input.at(-1) === 'string' ? b.input.at(-1) : ''),
    handle: (ctx) => moderate(ctx),
  },
];
