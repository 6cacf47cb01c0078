import type { Quote } from '../../core/calls.js';
import { positiveInt, SEARCH_ALLOWANCE, textQuote, withExtras } from '../quote.js';
import { countTokens, EXACT_COUNT, textOf, type PromptTokens, type TokenCount } from '../tokens.js';
import { parseSseEvent } from '../sse.js';
import { EventTap } from '../tap.js';
import { replaceJsonString } from '../json-edit.js';
import type { Operation, Usage } from '../../core/calls.js';
import type { DialectCodec } from '../types.js';
import { renderOpenAIError } from './errors.js';

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  /** DeepSeek's context-cache hit (api-docs.deepseek.com guides/kv_cache), when `prompt_tokens_details` is absent. */
  prompt_cache_hit_tokens?: number;
  /** Reasoning tokens, part of `completion_tokens` (OpenAI o-series, DeepSeek reasoner). */
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export const openaiCodec: DialectCodec = {
  dialect: 'openai',
  renderError: renderOpenAIError,
  streamError: (err) => `data: ${JSON.stringify(renderOpenAIError(err).body)}\n\n`,
  usageFromBody,
  tapStream: (operation, clientWantsUsage, answerModel) => new OpenAIStreamTap(operation, clientWantsUsage, answerModel),
  estimatePrompt,
  quote,
};

export function normaliseUsage(u: OpenAIUsage): Usage {
  const usage: Usage = {
    promptTokens: u.prompt_tokens ?? 0,
    completionTokens: u.completion_tokens ?? 0,
    cachedTokens: u.prompt_tokens_details?.cached_tokens ?? u.prompt_cache_hit_tokens ?? 0,
    estimated: false,
  };
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') usage.reasoningTokens = reasoning;
  return usage;
}

function usageFromBody(operation: Operation, body: unknown, promptTokens: PromptTokens): Usage {
  const b = body as { usage?: OpenAIUsage | null; choices?: unknown[] } | null;
  if (b?.usage && typeof b.usage.prompt_tokens === 'number') return normaliseUsage(b.usage);
  // No report (some self-hosted servers): count what was produced.
  const produced = (b?.choices ?? []).map((c) => choiceText(c, operation)).join('');
  return { promptTokens: promptTokens(), completionTokens: operation === 'embedding' ? 0 : countTokens(produced), cachedTokens: 0, estimated: true };
}

function choiceText(choice: unknown, operation: Operation): string {
  type Message = { content?: unknown; reasoning_content?: unknown; tool_calls?: { function?: { arguments?: string } }[] };
  const c = choice as { text?: string; message?: Message; delta?: Message };
  if (operation === 'completion') return c?.text ?? '';
  const m = c?.message ?? c?.delta;
  const args = (m?.tool_calls ?? []).map((t) => t.function?.arguments ?? '').join('');
  // Reasoning (DeepSeek's `reasoning_content`) is output too, counted when no usage came back.
  return (typeof m?.reasoning_content === 'string' ? m.reasoning_content : '') + textOf(m?.content) + args;
}

function estimatePrompt(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): number {
  switch (operation) {
    case 'chat':
      return Array.isArray(body.messages) ? count.chat(body.messages as never[]) : 0;
    case 'completion':
    case 'embedding': {
      const input = operation === 'completion' ? body.prompt : body.input;
      if (typeof input === 'string') return count.text(input);
      if (Array.isArray(input)) {
        return input.reduce<number>((n, item) => n + (typeof item === 'string' ? count.text(item) : typeof item === 'number' ? 1 : Array.isArray(item) ? item.length : 0), 0);
      }
      return 0;
    }
    default:
      return 0;
  }
}

/**
 * Pass-through tap for OpenAI-dialect streams. Events are forwarded as they are; only an event that
 * carries usage is parsed (a substring check finds it), and the usage-only chunk the gateway asked
 * for on the caller's behalf is dropped when the caller did not ask for it.
 */
class OpenAIStreamTap extends EventTap {
  protected producedText(d: unknown): string {
    return ((d as { choices?: unknown[] }).choices ?? []).map((c) => choiceText(c, this.operation)).join('');
  }

  constructor(
    private readonly operation: Operation,
    private readonly clientWantsUsage: boolean,
    /** The caller's model name, put in each chunk's `model`. */
    private readonly answerModel?: string,
  ) {
    super();
    this.named = answerModel === undefined ? '' : `"model":${JSON.stringify(answerModel)}`;
  }

  /** `"model":"<caller's name>"`: a chunk that already says it (the usual case) is not rescanned. */
  private readonly named: string;

  protected onEvent(raw: string): string {
    const ev = parseSseEvent(raw);
    if (!ev) return ''; // comments / keep-alives are ours to send, not the provider's
    if (this.answerModel && !ev.data.includes(this.named) && ev.data.includes('"model"')) ev.data = replaceJsonString(ev.data, ['model'], this.answerModel);
    if (ev.data === '[DONE]') {
      this.complete = true;
      return 'data: [DONE]\n\n';
    }
    if (ev.event === 'error' || ev.data.startsWith('{"error"')) {
      this.inBandError = ev.data;
      return `data: ${ev.data}\n\n`;
    }
    this.produced.addRaw(ev.data);
    if (ev.data.includes('"usage":{')) {
      let chunk: { usage?: OpenAIUsage; choices?: { finish_reason?: unknown }[] } | undefined;
      try {
        chunk = JSON.parse(ev.data);
      } catch {
        chunk = undefined;
      }
      if (chunk?.usage) {
        this.reported = normaliseUsage(chunk.usage);
        // The final report is OpenAI's usage-only chunk (no choices), or usage on the finish chunk
        // (Zhipu, servers without stream_options); servers that put running usage on every chunk
        // (vLLM's continuous_usage_stats) send figures that are not final yet.
        this.reportedFinal = !chunk.choices?.length || chunk.choices.every((c) => c?.finish_reason != null);
        if (!this.clientWantsUsage) {
          if (!chunk.choices || chunk.choices.length === 0) return '';
          return `data: ${JSON.stringify({ ...chunk, usage: null })}\n\n`;
        }
      }
    }
    return `data: ${ev.data}\n\n`;
  }
}

/**
 * OpenAI's output limits: `max_completion_tokens` (or the older `max_tokens`; the Responses API's
 * `max_output_tokens`), legacy completions default to 16 as OpenAI does; `n` and `best_of` choices.
 */
function quote(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): Quote {
  let max = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? positiveInt(body.max_output_tokens);
  if (max === undefined && operation === 'completion') max = 16;
  // Chat's `web_search_options` asks the model to search (the gateway's allowance of searches).
  const searches = body.web_search_options !== undefined && body.web_search_options !== null ? SEARCH_ALLOWANCE : 0;
  return withExtras(textQuote(operation, estimatePrompt(operation, body, count), max, Math.max(positiveInt(body.n) ?? 1, positiveInt(body.best_of) ?? 1)), { searches });
}
