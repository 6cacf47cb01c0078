/**
 * Reasoning effort on OpenAI's scale (the Responses API's `reasoning.effort`, Chat's
 * `reasoning_effort`: `none`, `minimal`, `low`, `medium`, `high`, `xhigh`) as a thinking budget in
 * tokens, for providers that take a budget (Anthropic's `thinking.budget_tokens`, Gemini's
 * `thinkingConfig.thinkingBudget`). The figures are the gateway's policy, not a provider's mapping:
 * Anthropic's smallest budget (1024) for the lowest efforts, a quarter of a typical 32K output for
 * `medium`, most of it for `high`.
 */
const BUDGETS: Record<string, number> = { none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 32768 };

/** The budget for an effort; undefined for an effort the gateway does not know (then left to the provider's default). */
export function thinkingBudget(effort: string | undefined): number | undefined {
  return effort === undefined ? undefined : BUDGETS[effort];
}
