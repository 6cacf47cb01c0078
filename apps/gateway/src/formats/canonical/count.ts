import { EXACT_COUNT, readOffLoop, type OffLoopCounter, type TokenCount } from '../tokens.js';
import type { CanonicalChatRequest } from './types.js';

/**
 * The gateway's own count of a prompt, for count-tokens endpoints whose model is served by a
 * provider that cannot count (OpenAI has no such endpoint). OpenAI's chat framing over the same
 * turns, tool calls and results included: an estimate, labelled as such in the docs.
 */
export function countCanonicalPrompt(req: CanonicalChatRequest, count: TokenCount = EXACT_COUNT): number {
  const turns: { role: string; content: string }[] = req.system.map((s) => ({ role: 'system', content: s }));
  for (const m of req.messages) {
    if (m.role === 'tool') turns.push({ role: 'tool', content: m.content });
    else {
      const text = m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
      const calls = m.role === 'assistant' ? m.toolCalls.map((c) => c.name + c.arguments).join('') : '';
      turns.push({ role: m.role, content: text + calls });
    }
  }
  let n = count.chat(turns);
  if (req.tools.length) n += count.chat([{ role: 'system', content: JSON.stringify(req.tools) }]) - 3;
  return n;
}

/** `countCanonicalPrompt` with a large prompt counted off the event loop (formats/count-thread.ts). */
export function countCanonicalPromptOffLoop(req: CanonicalChatRequest, counter: OffLoopCounter): Promise<number> {
  return readOffLoop((count) => countCanonicalPrompt(req, count), counter);
}
