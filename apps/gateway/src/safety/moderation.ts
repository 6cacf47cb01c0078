import type { ModerationSettings } from './policies.js';

/** One result of OpenAI's `/v1/moderations` (https://platform.openai.com/docs/api-reference/moderations/object). */
export interface ModerationResult {
  flagged?: boolean;
  categories?: Record<string, boolean>;
  category_scores?: Record<string, number>;
}

/** The id a moderation category's decisions are recorded under (beside the rules' ids). */
export const moderationRuleId = (category: string) => `moderation/${category}`;
/** The id of the decision taken when the moderation model did not answer. */
export const MODERATION_DOWN = 'moderation/unavailable';

/**
 * The categories a moderation answer hits under a policy's thresholds: a category with a
 * threshold is hit when its score reaches it; one without, when the model flagged it itself.
 */
export function categoriesHit(settings: ModerationSettings, results: readonly ModerationResult[]): string[] {
  const hit = new Set<string>();
  for (const r of results) {
    const scores = r.category_scores ?? {};
    const flags = r.categories ?? {};
    for (const c of new Set([...Object.keys(scores), ...Object.keys(flags)])) {
      const t = settings.thresholds[c];
      if (t !== undefined ? (scores[c] ?? 0) >= t : flags[c] === true) hit.add(c);
    }
  }
  return [...hit].sort();
}
