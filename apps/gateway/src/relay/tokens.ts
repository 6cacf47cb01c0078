import { countTokens as bpeCount } from 'gpt-tokenizer';

/**
 * The gateway's own token counts, used only when a provider reports no usage (a cut stream, a
 * server that never counts). o200k_base is the encoding of current OpenAI models; for other
 * providers it is an honest estimate, which is all anyone outside the provider can have.
 */
export function countTokens(text: string): number {
  if (!text) return 0;
  try {
    // Text that happens to contain special-token markup is counted as plain text, never rejected.
    return bpeCount(text, { disallowedSpecial: new Set() } as never);
  } catch {
    return Math.ceil(text.length / 4);
  }
}

/** OpenAI's published chat framing: 3 tokens per message, 1 per name, 3 to prime the reply. */
export function countChatTokens(messages: { role?: unknown; content?: unknown; name?: unknown }[]): number {
  let n = 3;
  for (const m of messages) {
    n += 3 + countTokens(String(m.role ?? '')) + countTokens(textOf(m.content));
    if (typeof m.name === 'string') n += 1 + countTokens(m.name);
  }
  return n;
}

/** Text of a content value in any of the shapes dialects use (string, parts, blocks). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join('');
  if (content && typeof content === 'object') {
    const c = content as Record<string, unknown>;
    if (typeof c.text === 'string') return c.text;
    if (typeof c.content === 'string' || Array.isArray(c.content)) return textOf(c.content);
  }
  return '';
}
