/**
 * A provider's signed reasoning (see SignedReasoning) carried in a Responses reasoning item's
 * `encrypted_content`, the field the Responses API gives for reasoning state the client keeps and
 * sends back on the next turn (https://platform.openai.com/docs/guides/reasoning#encrypted-reasoning-items).
 * Codex and other stateless clients (`store: false`, `include: ["reasoning.encrypted_content"]`)
 * send reasoning items back as they got them, so Anthropic's thinking blocks travel inside and reach
 * Anthropic again unchanged: its tool loops keep thinking on, as Anthropic requires.
 *
 * The content is not secret (Anthropic hands the same blocks to its own callers) and not ours to
 * vouch for: the provider checks its own signatures, so a block changed on the way is refused there.
 * The prefix tells the gateway's content from OpenAI's, which is passed through to OpenAI untouched.
 */
import { arr, obj } from '../canonical/util.js';
import type { SignedReasoning } from '../canonical/types.js';

const PREFIX = 'apigpt.signed-reasoning.v1.';

export function sealReasoning(r: SignedReasoning): string {
  return PREFIX + Buffer.from(JSON.stringify(r), 'utf8').toString('base64url');
}

/** The signed reasoning in an item's `encrypted_content`; null for anything the gateway did not write. */
export function openReasoning(encrypted: unknown): SignedReasoning | null {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(PREFIX)) return null;
  try {
    const r = obj(JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8')));
    const blocks = arr(r?.blocks)
      .map((b) => obj(b))
      .filter((b): b is Record<string, unknown> => !!b && (b.type === 'thinking' || b.type === 'redacted_thinking'));
    return r?.provider === 'anthropic' && blocks.length ? { provider: 'anthropic', blocks } : null;
  } catch {
    return null;
  }
}
