import { openaiFormat } from '../../formats/openai/canonical.js';
import type { CanonicalRequest, WireFormat } from '../../formats/canonical/types.js';
import { unsupported } from '../../formats/canonical/util.js';

/**
 * Self-hosted ChatGLM3 servers (§5.6): OpenAI's request shape, but the conversation's tool turns in
 * the legacy form: assistant `function_call` and `role: "function"` results. Their answers
 * (`function_call`, finish `function_call`) are read by OpenAI's parser, which knows the legacy shape.
 */
export const chatglmFormat: WireFormat = {
  ...openaiFormat,
  name: 'ChatGLM',
  renderRequest(req: CanonicalRequest, upstreamModel: string) {
    const body = openaiFormat.renderRequest(req, upstreamModel);
    if (req.kind === 'embedding') {
      delete body.encoding_format;
      return body;
    }
    if (req.n !== undefined && req.n > 1) throw unsupported('ChatGLM servers return one answer per request; `n` greater than 1 is not supported for this model.', 'n');
    delete body.stream_options;
    delete body.n;
    delete body.reasoning_effort; // self-hosted ChatGLM servers have no reasoning control
    const names = new Map<string, string>();
    const messages: Record<string, unknown>[] = [];
    for (const m of body.messages as Record<string, unknown>[]) {
      const calls = m.tool_calls as { id: string; function: { name: string; arguments: string } }[] | undefined;
      if (m.role === 'assistant' && calls?.length) {
        // One legacy call per assistant turn: parallel calls become consecutive turns.
        calls.forEach((c, i) => {
          names.set(c.id, c.function.name);
          messages.push({ role: 'assistant', content: i === 0 ? (m.content ?? '') : '', function_call: { name: c.function.name, arguments: c.function.arguments } });
        });
      } else if (m.role === 'tool') messages.push({ role: 'function', name: names.get(String(m.tool_call_id)) ?? '', content: m.content });
      else messages.push(m);
    }
    body.messages = messages;
    return body;
  },
};
