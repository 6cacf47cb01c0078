import type { Usage } from '../core/calls.js';
import type { PromptTokens } from './tokens.js';

/**
 * What a stream is charged, once it is over. Providers report usage early or as they go (Anthropic's
 * `message_start` says 1 output token, Gemini and ERNIE put running figures on every chunk), and
 * only their terminal report (OpenAI's usage chunk, Anthropic's `message_delta`, Gemini's chunk with
 * the finish reason, ERNIE's `is_end` event, the Responses API's terminal event) is the real one.
 *
 * - `final`: that terminal report arrived (or the stream reached its proper end): it is the charge.
 * - Otherwise the stream ended early (the provider cut it, the client left). The output is the
 *   larger of the provider's last figure and the gateway's count of the text it forwarded to the
 *   client (`delivered`, reasoning and tool arguments included); the prompt is the provider's
 *   figure when it gave one (cache fields with it), else the gateway's count (`promptTokens`, asked
 *   for only then).
 *
 * `delivered` (the tokens of what was forwarded, formats/delivered.ts) is called only when needed:
 * most streams end with their final report and are never re-read.
 */
export function streamUsage(reported: Usage | null, final: boolean, promptTokens: PromptTokens, delivered: () => number): Usage {
  if (reported && final) return reported;
  const counted = delivered();
  if (!reported) return { promptTokens: promptTokens(), completionTokens: counted, cachedTokens: 0, estimated: true };
  if (counted <= reported.completionTokens) return reported;
  return { ...reported, completionTokens: counted, estimated: true };
}
