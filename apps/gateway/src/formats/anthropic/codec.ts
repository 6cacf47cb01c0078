import type { Quote } from '../../core/calls.js';
import { positiveInt, SEARCH_ALLOWANCE, textQuote, withExtras } from '../quote.js';
import { usageIn } from './canonical.js';
import { estimatedUsage } from '../canonical/util.js';
import { parseSseEvent } from '../sse.js';
import { EventTap } from '../tap.js';
import { replaceJsonString } from '../json-edit.js';
import { EXACT_COUNT, textOf, type PromptTokens, type TokenCount } from '../tokens.js';
import type { Operation, Usage } from '../../core/calls.js';
import { ZERO_USAGE } from '../../core/calls.js';
import type { DialectCodec } from '../types.js';
import { anthropicStreamErrorOf, renderAnthropicError } from './errors.js';

export const anthropicCodec: DialectCodec = {
  dialect: 'anthropic',
  renderError: renderAnthropicError,
  streamError: anthropicStreamErrorOf,
  usageFromBody,
  tapStream: (_operation, _clientWantsUsage, answerModel) => new AnthropicStreamTap(answerModel),
  estimatePrompt,
  quote,
};

function usageFromBody(operation: Operation, body: unknown, promptTokens: PromptTokens): Usage {
  if (operation === 'count_tokens') return ZERO_USAGE; // counting generates nothing
  const b = body as { usage?: unknown; content?: { text?: string; input?: unknown }[] } | null;
  const reported = usageIn(b?.usage);
  if (reported) return reported;
  const produced = (b?.content ?? []).map((c) => c.text ?? (c.input ? JSON.stringify(c.input) : '')).join('');
  return estimatedUsage(promptTokens, produced);
}

/** System prompt and turns counted with OpenAI's framing: an estimate, which is all a gateway can have for Claude. */
function estimatePrompt(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): number {
  if (operation !== 'chat' && operation !== 'count_tokens') return 0;
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  const system = body.system !== undefined ? [{ role: 'system', content: textOf(body.system) }] : [];
  return count.chat([...system, ...messages]);
}

/**
 * Pass-through tap for Anthropic streams: events go out as they came; only message_start,
 * message_delta (usage, cumulative) and error are read. Deltas are kept unparsed, to be counted
 * only if the stream ends before message_delta's usage.
 */
class AnthropicStreamTap extends EventTap {
  /** `answerModel`: the caller's model name, put in message_start's `message.model`. */
  constructor(private readonly answerModel?: string) {
    super();
  }

  protected producedText(d: unknown): string {
    // Thinking the client was shown is output too.
    const delta = (d as { delta?: { text?: string; partial_json?: string; thinking?: string } }).delta;
    return delta?.text ?? delta?.partial_json ?? delta?.thinking ?? '';
  }

  protected onEvent(raw: string): string {
    const ev = parseSseEvent(raw);
    if (!ev) return '';
    const name = ev.event ?? '';
    if (name === 'message_start' && this.answerModel) ev.data = replaceJsonString(ev.data, ['message', 'model'], this.answerModel);
    if (name === 'message_start' || name === 'message_delta') {
      try {
        const d = JSON.parse(ev.data) as { message?: { usage?: unknown }; usage?: unknown };
        const u = usageIn(name === 'message_start' ? d.message?.usage : d.usage, this.reported ?? undefined);
        if (u) {
          this.reported = u;
          // message_start's output figure is a placeholder (1); message_delta's is the real count.
          this.reportedFinal = name === 'message_delta';
        }
      } catch {
        /* forwarded as it is; the client's parser will judge it */
      }
    } else if (name === 'content_block_delta') this.produced.addRaw(ev.data);
    else if (name === 'message_stop') this.complete = true;
    else if (name === 'error') this.inBandError = ev.data;
    return `${ev.event !== null ? `event: ${ev.event}\n` : ''}data: ${ev.data}\n\n`;
  }
}

/**
 * Anthropic's `max_tokens` (required by its API); one choice. A prompt with `cache_control` may be
 * written to the cache whole (priced above input), and a web search tool may search up to its
 * `max_uses` (or the gateway's allowance when it sets none).
 */
function quote(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): Quote {
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  const search = tools.find((t) => typeof t?.type === 'string' && t.type.startsWith('web_search_'));
  return withExtras(textQuote(operation, estimatePrompt(operation, body, count), positiveInt(body.max_tokens)), {
    cacheWrite: cacheWriteTtl(body),
    searches: search ? (positiveInt(search.max_uses) ?? SEARCH_ALLOWANCE) : 0,
  });
}

/**
 * The longest lifetime a request's `cache_control` breakpoints ask for (on the request itself, a
 * tool, a system block or a message block), or null when it caches nothing
 * (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching).
 */
export function cacheWriteTtl(body: Record<string, unknown>): '5m' | '1h' | null {
  let ttl: '5m' | '1h' | null = null;
  const see = (b: unknown) => {
    const cc = b && typeof b === 'object' ? (b as { cache_control?: unknown }).cache_control : undefined;
    if (!cc || typeof cc !== 'object') return;
    ttl = (cc as { ttl?: unknown }).ttl === '1h' ? '1h' : (ttl ?? '5m');
  };
  const list = (v: unknown) => (Array.isArray(v) ? v.forEach(see) : undefined);
  see(body);
  list(body.tools);
  list(body.system);
  for (const m of Array.isArray(body.messages) ? body.messages : []) list((m as { content?: unknown })?.content);
  return ttl;
}
