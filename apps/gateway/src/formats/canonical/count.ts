import { countChatTokens } from '../tokens.js';
import type { CanonicalChatRequest } from './types.js';

/**
 * The gateway's own count of a prompt, for count-tokens endpoints whose model is served by a
 * provider that cannot count (OpenAI has no such endpoint). OpenAI's chat framing over the same
 * turns, tool calls and results included: an estimate, labelled as such in the docs.
 */
export function countCanonicalPrompt(req: CanonicalChatRequest): number {
  const turns: { role: string; content: string }[] = req.system.map((s) => ({ role: 'system', content: s }));
  for (const m of req.messages) {
    if (m.role === 'tool') turns.push({ role: 'tool', content: m.content });
    else {
      const text = m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
      const calls = m.role === 'assistant' ? m.toolCalls.map((c) => c.name + c.arguments).join('') : '';
      turns.push({ role: m.role, content: text + calls });
    }
  }
  let n = countChatTokens(turns);
  if (req.tools.length) n += countChatTokens([{ role: 'system', content: JSON.stringify(req.tools) }]) - 3;
  return n;
}
