import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/calls.js';
import type { CanonicalChatRequest, CanonicalEvent, CanonicalRequest, CanonicalResponse, FinishReason, StreamDecoder, WireFormat } from '../../formats/canonical/types.js';
import { asChat, mintId, num, obj, str, textOfParts, unsupported, usageFrom } from '../../formats/canonical/util.js';

/**
 * Baidu ERNIE's chat wire format (Qianfan v1, "ERNIE-4.0-8K" API page of cloud.baidu.com's
 * WENXINWORKSHOP docs): `{messages, system, stream, temperature, top_p, max_output_tokens, stop,
 * user_id}` in; `{id, created, result, is_truncated, finish_reason, usage}` out, and streams of SSE
 * `data:` events each carrying a `result` piece, `sentence_id`, `is_end` and the running usage.
 *
 * ERNIE is spoken only to Baidu: no client route takes it, so the caller half of the format
 * (parseRequest, renderResponse, encoder) is never used and says so if it ever is.
 */
export const ernieFormat: WireFormat = {
  name: 'ERNIE',
  translates: ['chat'],
  parseRequest: () => {
    throw notACallerFormat();
  },
  renderResponse: () => {
    throw notACallerFormat();
  },
  encoder: () => {
    throw notACallerFormat();
  },
  renderRequest,
  parseResponse,
  decoder: () => new ErnieDecoder(),
};

type ErnieMessage = { role: 'user' | 'assistant'; content: string };

function renderRequest(req: CanonicalRequest, _upstreamModel: string): Record<string, unknown> {
  const chat = asChat(req, 'ERNIE');
  if (chat.n !== undefined && chat.n > 1) throw unsupported('ERNIE returns one answer per request; `n` greater than 1 is not supported for this model.', 'n');
  if (chat.tools.length && chat.toolChoice !== 'none') throw unsupported('ERNIE channels take text conversations only: tool definitions are not supported for this model.', 'tools');
  if (chat.responseFormat?.type === 'json_schema') throw unsupported('ERNIE has no structured output by JSON schema; use JSON mode (`json_object`) instead.', 'response_format');
  const body: Record<string, unknown> = { messages: renderMessages(chat) };
  // ERNIE takes the system prompt as its own field, never as a message.
  if (chat.system.length) body.system = chat.system.join('\n\n');
  if (chat.stream) body.stream = true;
  // ERNIE's ranges: temperature in (0, 1] (0 is refused), top_p in [0, 1], max_output_tokens from 2.
  if (chat.temperature !== undefined) body.temperature = Math.min(1, Math.max(0.01, chat.temperature));
  if (chat.topP !== undefined) body.top_p = Math.min(1, Math.max(0, chat.topP));
  if (chat.maxTokens !== undefined) body.max_output_tokens = Math.max(2, chat.maxTokens);
  if (chat.stop?.length) body.stop = chat.stop;
  if (chat.user) body.user_id = chat.user;
  if (chat.responseFormat?.type === 'json_object') body.response_format = 'json_object';
  // presence/frequency penalties have no faithful equivalent (ERNIE's penalty_score is a
  // repetition factor in [1, 2]); like Zhipu's format, they are left out.
  return body;
}

/**
 * ERNIE wants an odd number of messages alternating user / assistant, starting and ending with
 * the user. Consecutive turns of one role (what Anthropic and Gemini callers may send) are joined
 * into one; a conversation that starts or ends with the assistant cannot be expressed.
 */
function renderMessages(chat: CanonicalChatRequest): ErnieMessage[] {
  const out: ErnieMessage[] = [];
  for (const m of chat.messages) {
    if (m.role === 'tool' || (m.role === 'assistant' && m.toolCalls.length))
      throw unsupported('ERNIE channels take text conversations only: tool calls and tool results cannot be sent to this model.', 'messages');
    if (m.content.some((p) => p.type === 'image')) throw unsupported('ERNIE chat models take text only: images cannot be sent to this model.', 'messages');
    const text = textOfParts(m.content);
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content = last.content && text ? `${last.content}\n\n${text}` : last.content + text;
    else out.push({ role: m.role, content: text });
  }
  if (out.length === 0) throw new GatewayError('invalid_request', 'ERNIE needs at least one user message.', { param: 'messages', code: 'invalid_value' });
  if (out[0].role !== 'user') throw unsupported('ERNIE conversations must start with a user message (after the system prompt).', 'messages');
  if (out[out.length - 1].role !== 'user')
    throw unsupported('ERNIE conversations must end with a user message: continuing an assistant turn is not supported for this model.', 'messages');
  return out;
}

function parseResponse(body: unknown, req: CanonicalRequest): CanonicalResponse {
  const b = obj(body);
  if (!b || typeof b.result !== 'string') {
    const msg = b && b.error_code != null ? `ERNIE error ${String(b.error_code)}: ${str(b.error_msg) ?? ''}` : 'The provider sent a response the gateway cannot read.';
    throw new GatewayError('upstream', msg, { code: 'bad_upstream_response' });
  }
  return {
    kind: 'chat',
    id: str(b.id) ?? mintId('as-'),
    model: req.model,
    created: num(b.created) ?? Math.floor(Date.now() / 1000),
    choices: [{ index: 0, text: b.result, toolCalls: [], finish: finishOf(b.finish_reason, b.is_truncated) }],
    usage: usageOf(b.usage),
  };
}

/** ERNIE's `finish_reason`: normal (ended by itself), stop (a stop string), length, content_filter, function_call. */
function finishOf(reason: unknown, truncated: unknown): FinishReason {
  if (reason === 'length' || truncated === true) return 'length';
  if (reason === 'content_filter') return 'content_filter';
  if (reason === 'function_call') return 'tool_calls';
  return 'stop';
}

function usageOf(u: unknown): Usage | null {
  const o = obj(u);
  const prompt = num(o?.prompt_tokens);
  const completion = num(o?.completion_tokens);
  return prompt === undefined || completion === undefined ? null : usageFrom(prompt, completion);
}

/**
 * One SSE event per `sentence_id`: a piece of text in `result`, the running usage (each report
 * replaces the last), and `is_end` on the last event, which is the stream's proper end.
 */
class ErnieDecoder implements StreamDecoder {
  private started = false;

  decode(ev: { event: string | null; data: string }): CanonicalEvent[] {
    let chunk: Record<string, unknown> | undefined;
    try {
      chunk = obj(JSON.parse(ev.data));
    } catch {
      chunk = undefined;
    }
    if (!chunk) return [{ type: 'error', message: 'The provider sent a malformed stream event.', status: 502 }];
    if (chunk.error_code != null) return [{ type: 'error', message: `ERNIE error ${String(chunk.error_code)}: ${str(chunk.error_msg) ?? ''}`, status: 502 }];
    const out: CanonicalEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({ type: 'start', id: str(chunk.id) });
    }
    if (typeof chunk.result === 'string' && chunk.result) out.push({ type: 'text', choice: 0, text: chunk.result });
    const end = chunk.is_end === true;
    if (end) out.push({ type: 'finish', choice: 0, finish: finishOf(chunk.finish_reason, chunk.is_truncated) });
    // The usage after the finish is the final one; on earlier events it is a running figure.
    const usage = usageOf(chunk.usage);
    if (usage) out.push({ type: 'usage', usage });
    if (end) out.push({ type: 'end' });
    return out;
  }

  finish(): CanonicalEvent[] {
    return [];
  }
}

function notACallerFormat(): GatewayError {
  return new GatewayError('internal', 'ERNIE is a provider format only; no client route speaks it.', { code: 'internal_error' });
}
