import type { GatewayError } from '../../core/errors.js';
import type { Operation, Quote, Usage } from '../../core/calls.js';
import { arr, estimatedUsage, num, obj, str, usageFrom } from '../canonical/util.js';
import { renderOpenAIError } from '../openai/errors.js';
import { positiveInt, SEARCH_ALLOWANCE, textQuote, withExtras } from '../quote.js';
import { parseSseEvent } from '../sse.js';
import { EventTap } from '../tap.js';
import { EXACT_COUNT, textOf, type PromptTokens, type TokenCount } from '../tokens.js';
import type { DialectCodec } from '../types.js';
import { failureCode, RESPONSES_DIALECT } from './canonical.js';
import { searchesIn } from './web-search.js';

/**
 * The Responses API's codec: usage read from a Response (`usage.input_tokens`, ...), a tap for
 * streams passed through from OpenAI or Azure, the prompt estimate and the quote
 * (`max_output_tokens`). Errors use OpenAI's envelope, as the API does.
 */
export const responsesCodec: DialectCodec = {
  dialect: RESPONSES_DIALECT,
  renderError: renderOpenAIError,
  streamError: (err) => errorEvent(err, null),
  usageFromBody,
  tapStream: () => new ResponsesStreamTap(),
  estimatePrompt,
  quote,
};

/**
 * Usage of a Response: `input_tokens` includes the cached ones, `output_tokens` the reasoning ones
 * (https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage).
 */
export function usageIn(u: unknown): Usage | null {
  const o = obj(u);
  if (!o || typeof o.input_tokens !== 'number') return null;
  return usageFrom(o.input_tokens, num(o.output_tokens) ?? 0, num(obj(o.input_tokens_details)?.cached_tokens) ?? 0, num(obj(o.output_tokens_details)?.reasoning_tokens));
}

function usageFromBody(_operation: Operation, body: unknown, promptTokens: PromptTokens): Usage {
  const b = obj(body);
  return withSearches(usageIn(b?.usage) ?? estimatedUsage(promptTokens, producedOf(arr(b?.output))), b?.output);
}

/** OpenAI's web searches are priced per call: the Response's `web_search_call` items. */
function withSearches(usage: Usage, output: unknown): Usage {
  const searches = searchesIn(output);
  return searches ? { ...usage, searches } : usage;
}

/** Text the output items produced (message text, call arguments, reasoning summaries), for counting. */
function producedOf(output: unknown[]): string {
  let text = '';
  for (const raw of output) {
    const item = obj(raw) ?? {};
    if (item.type === 'message') text += arr(item.content).map((p) => str(obj(p)?.text) ?? '').join('');
    else if (item.type === 'function_call') text += (str(item.name) ?? '') + (str(item.arguments) ?? '');
    else if (item.type === 'reasoning') text += arr(item.summary).map((p) => str(obj(p)?.text) ?? '').join('');
  }
  return text;
}

/** Instructions and input items counted with OpenAI's chat framing (an item is a turn). */
export function estimatePrompt(_operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): number {
  const turns: { role?: unknown; content?: unknown }[] = [];
  if (typeof body.instructions === 'string') turns.push({ role: 'system', content: body.instructions });
  if (typeof body.input === 'string') turns.push({ role: 'user', content: body.input });
  for (const raw of arr(body.input)) {
    const item = obj(raw) ?? {};
    if (item.type === 'function_call') turns.push({ role: 'assistant', content: `${str(item.name) ?? ''}${str(item.arguments) ?? ''}` });
    else if (item.type === 'function_call_output') turns.push({ role: 'tool', content: typeof item.output === 'string' ? item.output : textOf(item.output) });
    else if (item.role !== undefined) turns.push({ role: item.role, content: item.content });
  }
  let n = count.chat(turns);
  if (Array.isArray(body.tools) && body.tools.length) n += count.text(JSON.stringify(body.tools));
  return n;
}

/**
 * `max_output_tokens` (reasoning included) bounds the output; one answer per call. The built-in web
 * search may search up to `max_tool_calls` times (or the gateway's allowance).
 */
function quote(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): Quote {
  const searches = arr(body.tools).some((t) => String(obj(t)?.type ?? '').startsWith('web_search')) ? (positiveInt(body.max_tool_calls) ?? SEARCH_ALLOWANCE) : 0;
  return withExtras(textQuote(operation, estimatePrompt(operation, body, count), positiveInt(body.max_output_tokens)), { searches });
}

/** The stream's `error` event (https://platform.openai.com/docs/api-reference/responses-streaming/error). */
function errorEvent(err: GatewayError, sequence: number | null): string {
  const data = { type: 'error', ...(sequence !== null ? { sequence_number: sequence } : {}), code: err.code ?? failureCode(err.status), message: err.message, param: err.param };
  return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const DELTAS = new Set(['response.output_text.delta', 'response.function_call_arguments.delta', 'response.reasoning_summary_text.delta', 'response.reasoning_text.delta', 'response.refusal.delta']);

/**
 * Pass-through tap for Responses streams (OpenAI, Azure): events go out as they came, `event:`
 * line included. The terminal event's Response carries the usage; deltas (text, reasoning, call
 * arguments, refusals) are kept unparsed to be counted only if it never comes. A `[DONE]` line
 * some servers append is not part of this API's grammar and is dropped.
 */
class ResponsesStreamTap extends EventTap {
  private lastSequence = -1;
  private responseId: string | null = null;

  protected producedText(d: unknown): string {
    return str(obj(d)?.delta) ?? '';
  }

  protected onEvent(raw: string): string {
    const ev = parseSseEvent(raw);
    if (!ev || ev.data === '[DONE]') return '';
    const seq = /"sequence_number":(\d+)/.exec(ev.data);
    if (seq) this.lastSequence = Number(seq[1]);
    const type = ev.event ?? /^\{"type":"([^"]+)"/.exec(ev.data)?.[1] ?? '';
    if (DELTAS.has(type)) this.produced.addRaw(ev.data);
    else if (type === 'response.created' || TERMINAL.has(type) || type === 'error') {
      try {
        const d = JSON.parse(ev.data) as { response?: { id?: unknown; usage?: unknown; output?: unknown } };
        if (type === 'response.created' && typeof d.response?.id === 'string') this.responseId = d.response.id;
        const u = usageIn(d.response?.usage);
        if (u) {
          this.reported = withSearches(u, d.response?.output);
          // Only the terminal event's Response carries the call's usage.
          this.reportedFinal = TERMINAL.has(type);
        }
      } catch {
        /* forwarded as it is; the client's parser will judge it */
      }
      if (type === 'response.failed' || type === 'error') this.inBandError = ev.data;
      else if (TERMINAL.has(type)) this.complete = true;
    }
    return `${ev.event !== null ? `event: ${ev.event}\n` : ''}data: ${ev.data}\n\n`;
  }

  /** A broken-off stream ends with `response.failed` (or `error` before the response began), numbered after the last event. */
  streamError(err: GatewayError): string {
    const seq = this.lastSequence + 1;
    if (!this.responseId) return errorEvent(err, seq);
    const response = { id: this.responseId, object: 'response', status: 'failed', error: { code: failureCode(err.status), message: err.message }, incomplete_details: null, output: [], usage: null };
    return `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: seq, response })}\n\n`;
  }
}
