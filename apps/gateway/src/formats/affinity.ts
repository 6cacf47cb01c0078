import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * What names a call's session for prompt-cache affinity (`TextSpec.affinity`): the calls of one
 * session should reach the channel whose provider account holds its cached prompt. Each dialect's
 * route picks, in order, the session its own protocol names (`prompt_cache_key`, Anthropic's
 * `metadata.user_id`, Gemini's `cachedContent`), an agent's session header, and else the prompt's
 * stable prefix. The value is opaque to the relay, which hashes it with the user and the model.
 */

/**
 * Session headers of the coding agents (provider-protocols §14): Claude Code's
 * `X-Claude-Code-Session-Id`, Codex's `session_id` (older builds `conversation_id`; some ports send
 * `session-id` / `thread-id`).
 */
const SESSION_HEADERS = ['x-claude-code-session-id', 'session_id', 'session-id', 'thread-id', 'thread_id', 'conversation_id'] as const;

export function sessionHeader(headers: IncomingHttpHeaders): string | undefined {
  for (const name of SESSION_HEADERS) {
    const v = headers[name];
    const value = Array.isArray(v) ? v[0] : v;
    if (value) return `h:${value}`;
  }
  return undefined;
}

/**
 * Providers cache a prompt only from about 1,024 tokens on (Anthropic's and OpenAI's minimum):
 * a smaller request has no cache to keep together, so it names no session — and costs neither a
 * hash nor a shared-state round trip. 4 KiB of JSON body is below that many tokens of any prompt.
 */
export const MIN_CACHEABLE_BODY_BYTES = 4096;

/** Whether the request body is big enough to hold a cacheable prompt (by its declared length). */
export function mayHoldCachedPrompt(headers: IncomingHttpHeaders): boolean {
  const n = Number(headers['content-length']);
  // A body sent without a length (chunked) is judged by its prefix alone.
  return !Number.isFinite(n) || n >= MIN_CACHEABLE_BODY_BYTES;
}

/**
 * A session named by the start of its prompt: the parts every turn of a conversation repeats
 * unchanged (tools, system prompt, the turns up to the first user turn). Two conversations that
 * begin alike share a cached prefix, so sharing a channel is right for them too; the first user turn
 * keeps conversations that only share a system prompt apart, so they still spread.
 */
export function prefixAffinity(parts: readonly unknown[]): string {
  return `p:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`;
}

/** The first that names a session. */
export function firstAffinity(...candidates: (string | undefined | (() => string | undefined))[]): string | undefined {
  for (const c of candidates) {
    const v = typeof c === 'function' ? c() : c;
    if (v) return v;
  }
  return undefined;
}
