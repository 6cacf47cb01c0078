import type { RequestOptions, Transport } from '../core/transport.js';
import type { ChatMessage, ContentPart, ResponseInputItem, TokenCountParams } from '../relay-types.js';

/**
 * Counts a prompt's input tokens as the model's own provider counts them (its count endpoint where
 * it has one, else the gateway's tokenizer), through `POST /v1/responses/input_tokens`.
 */
export class Tokens {
  constructor(private readonly transport: Transport) {}

  async count(params: TokenCountParams, options?: RequestOptions): Promise<number> {
    const { messages, input, tools, ...rest } = params;
    const body: Record<string, unknown> = { ...rest, input: messages ? toResponsesInput(messages) : (input ?? '') };
    if (tools?.length) body.tools = tools.map((t) => ({ type: 'function', ...t.function }));
    const { data } = await this.transport.json<{ input_tokens: number }>({ method: 'POST', path: '/v1/responses/input_tokens', body }, options);
    return data.input_tokens;
  }
}

/** Chat messages as Responses input items: turns, tool calls and their results. */
export function toResponsesInput(messages: ChatMessage[]): ResponseInputItem[] {
  const out: ResponseInputItem[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      out.push({ type: 'function_call_output', call_id: m.tool_call_id ?? '', output: textOf(m.content) });
      continue;
    }
    const role = m.role === 'assistant' ? 'assistant' : m.role === 'user' ? 'user' : m.role;
    if (m.content !== null && m.content !== '' ) {
      const content = typeof m.content === 'string' ? m.content : m.content.map((p: ContentPart) => (p.type === 'text' ? { type: role === 'assistant' ? ('output_text' as const) : ('input_text' as const), text: p.text } : { type: 'input_image' as const, image_url: p.image_url.url }));
      out.push({ role, content });
    }
    for (const call of m.tool_calls ?? []) out.push({ type: 'function_call', call_id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  return out;
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
}
